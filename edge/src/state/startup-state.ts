import { type Clock, type OtaStatus, systemClock } from '@fleet/shared';
import type { EdgeConfig } from '../config.js';
import type { EdgeSettings } from '../device/settings.js';
import { interruptedOtaStatus } from '../ota/ota-status.js';
import type { DeviceFacts, EnvSnapshot } from './device-state.js';

/** What the device starts with: the persisted state, except where the environment changed since. */
export interface StartupState {
  firmware: string;
  settings: EdgeSettings;
  /** The last OTA status (an update left under way is reported failed), or null when none ever ran. */
  ota: OtaStatus | null;
  /** The environment's values now: persist it with the state. */
  envSnapshot: Required<EnvSnapshot>;
  /** Variables changed since the last start whose new value replaced a persisted one, e.g. ["MODE"]. */
  overriddenByEnv: string[];
}

export interface StartupOptions {
  /** Stamps an interrupted OTA status. */
  clock?: Clock;
}

/** Each value the environment sets, with its variable, as kept in the snapshot: one name from variable to wire. */
const ENV_FIELDS = [
  { key: 'firmware', env: 'FIRMWARE_VERSION' },
  { key: 'mode', env: 'MODE' },
  { key: 'intervalle', env: 'PUBLISH_INTERVAL' },
  { key: 'seuil_alerte', env: 'ALERT_THRESHOLD' },
  { key: 'correction_temperature', env: 'TEMP_OFFSET' },
  { key: 'correction_humidite', env: 'HUMIDITY_OFFSET' },
  { key: 'correction_pression', env: 'PRESSURE_OFFSET' },
  { key: 'altitude', env: 'ALTITUDE' },
] as const;

/** The variables the start-up state depends on. */
export type EnvSettings = Pick<
  EdgeConfig,
  | 'firmwareVersion'
  | 'mode'
  | 'publishInterval'
  | 'alertThreshold'
  | 'tempOffset'
  | 'humidityOffset'
  | 'pressureOffset'
  | 'altitude'
>;

export function envSnapshotOf(config: EnvSettings): Required<EnvSnapshot> {
  return {
    firmware: config.firmwareVersion,
    mode: config.mode,
    intervalle: config.publishInterval,
    seuil_alerte: config.alertThreshold,
    correction_temperature: config.tempOffset,
    correction_humidite: config.humidityOffset,
    correction_pression: config.pressureOffset,
    altitude: config.altitude,
  };
}

/**
 * Decides the start-up state. The firmware version and the settings changed by commands persist across
 * restarts. But when a variable's value changed since the last start (someone edited
 * it in the balena dashboard, which restarts the service), the variable wins: it is the newer wish.
 * A setting the persisted state does not have (the calibration, after an upgrade) takes the variable's value.
 * An OTA update that was under way at shutdown is reported failed, still on the running version.
 */
export function resolveStartupState(
  persisted: DeviceFacts | null,
  config: EnvSettings,
  options: StartupOptions = {},
): StartupState {
  const envSnapshot = envSnapshotOf(config);
  const { firmware: envFirmware, ...envSettings } = envSnapshot;
  if (!persisted) {
    return {
      firmware: envFirmware,
      settings: { ...envSettings, actif: true },
      ota: null,
      envSnapshot,
      overriddenByEnv: [],
    };
  }

  // Settings an earlier release did not persist (the calibration) start from the environment's values.
  const kept = { firmware: persisted.firmware, ...envSettings, ...persisted.settings };
  const overriddenByEnv: string[] = [];
  for (const { key, env } of ENV_FIELDS) {
    const changed = envSnapshot[key] !== persisted.envSnapshot[key];
    if (changed && envSnapshot[key] !== kept[key]) {
      overriddenByEnv.push(env);
      Object.assign(kept, { [key]: envSnapshot[key] });
    }
  }
  const { firmware, ...settings } = kept;
  const now = (options.clock ?? systemClock).now();
  return {
    firmware,
    settings,
    ota: persisted.ota ? interruptedOtaStatus(persisted.ota, firmware, now) : null,
    envSnapshot,
    overriddenByEnv,
  };
}

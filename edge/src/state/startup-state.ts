import { type Clock, type DeviceSettings, type OtaStatus, systemClock } from '@fleet/shared';
import type { EdgeConfig } from '../config.js';
import { interruptedOtaStatus } from '../ota/ota-status.js';
import type { DeviceFacts, EnvSnapshot } from './device-state.js';

/** What the device starts with: the persisted state, except where the environment changed since. */
export interface StartupState {
  firmware: string;
  settings: DeviceSettings;
  /** The last OTA status (an update left under way is reported failed), or null when none ever ran. */
  ota: OtaStatus | null;
  /** The environment's values now: persist it with the state. */
  envSnapshot: EnvSnapshot;
  /** Variables changed since the last start whose new value replaced a persisted one, e.g. ["MODE"]. */
  overriddenByEnv: string[];
}

export interface StartupOptions {
  /** Stamps an interrupted OTA status. */
  clock?: Clock;
}

/** Each value the environment sets, with its variable, as kept in the snapshot. */
const ENV_FIELDS = [
  { key: 'firmware', env: 'FIRMWARE_VERSION' },
  { key: 'mode', env: 'MODE' },
  { key: 'intervalle', env: 'PUBLISH_INTERVAL' },
  { key: 'seuil_alerte', env: 'ALERT_THRESHOLD' },
] as const;

/** The variables the start-up state depends on. */
export type EnvSettings = Pick<EdgeConfig, 'firmwareVersion' | 'mode' | 'publishInterval' | 'alertThreshold'>;

export function envSnapshotOf(config: EnvSettings): EnvSnapshot {
  return {
    firmware: config.firmwareVersion,
    mode: config.mode,
    intervalle: config.publishInterval,
    seuil_alerte: config.alertThreshold,
  };
}

/**
 * Decides the start-up state. The firmware version and the settings changed by commands persist across
 * restarts. But when a variable's value changed since the last start (someone edited
 * it in the balena dashboard, which restarts the service), the variable wins: it is the newer wish.
 * An OTA update that was under way at shutdown is reported failed, still on the running version.
 */
export function resolveStartupState(
  persisted: DeviceFacts | null,
  config: EnvSettings,
  options: StartupOptions = {},
): StartupState {
  const envSnapshot = envSnapshotOf(config);
  if (!persisted) {
    return {
      firmware: envSnapshot.firmware,
      settings: {
        mode: envSnapshot.mode,
        intervalle: envSnapshot.intervalle,
        seuil_alerte: envSnapshot.seuil_alerte,
        actif: true,
      },
      ota: null,
      envSnapshot,
      overriddenByEnv: [],
    };
  }

  const kept = { firmware: persisted.firmware, ...persisted.settings };
  const overriddenByEnv: string[] = [];
  for (const { key, env } of ENV_FIELDS) {
    const changed = envSnapshot[key] !== persisted.envSnapshot[key];
    if (changed && envSnapshot[key] !== kept[key]) {
      overriddenByEnv.push(env);
      Object.assign(kept, { [key]: envSnapshot[key] });
    }
  }
  const now = (options.clock ?? systemClock).now();
  return {
    firmware: kept.firmware,
    settings: {
      mode: kept.mode,
      intervalle: kept.intervalle,
      seuil_alerte: kept.seuil_alerte,
      actif: kept.actif,
    },
    ota: persisted.ota ? interruptedOtaStatus(persisted.ota, kept.firmware, now) : null,
    envSnapshot,
    overriddenByEnv,
  };
}

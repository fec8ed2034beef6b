import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, OtaStatus } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../../src/config.js';
import { NO_CALIBRATION } from '../../src/device/settings.js';
import type { DeviceFacts } from '../../src/state/device-state.js';
import { resolveStartupState } from '../../src/state/startup-state.js';
import { EdgeStore } from '../../src/storage/edge-store.js';
import { captureLogger } from './capture-logger.js';

const clock: Clock = { now: () => new Date('2024-06-01T12:00:00.000Z') };
const config = (env: NodeJS.ProcessEnv = {}) => loadEdgeConfig(env, 'pi-test', '/tmp');

/**
 * What a device of the previous release (no calibration) started with the default environment, then changed
 * by commands and one OTA, persisted.
 */
const persisted: DeviceFacts = {
  firmware: 'v1.1.0',
  settings: { mode: 'economie', intervalle: 20, seuil_alerte: 25, actif: false },
  envSnapshot: { firmware: 'v1.0.0', mode: 'auto', intervalle: 5, seuil_alerte: 30 },
  ota: null,
};

const otaIn = (state: OtaStatus['state']): OtaStatus => ({
  state,
  progress: 40,
  target_version: 'v1.2.0',
  previous_version: 'v1.1.0',
  error: null,
  command_id: 'c-1',
  updated_at: '2024-06-01T11:59:00.000Z',
});

describe('resolveStartupState', () => {
  it('on the first start takes everything from the environment', () => {
    const env = { MODE: 'manuel', PUBLISH_INTERVAL: '7', TEMP_OFFSET: '-1.5', ALTITUDE: '420' };
    const startup = resolveStartupState(null, config(env), { clock });
    const calibration = { ...NO_CALIBRATION, correction_temperature: -1.5, altitude: 420 };
    expect(startup).toEqual({
      firmware: 'v1.0.0',
      settings: { mode: 'manuel', intervalle: 7, seuil_alerte: 30, actif: true, ...calibration },
      ota: null,
      envSnapshot: { firmware: 'v1.0.0', mode: 'manuel', intervalle: 7, seuil_alerte: 30, ...calibration },
      overriddenByEnv: [],
    });
  });

  it('keeps what commands and OTA changed when the environment did not change', () => {
    const startup = resolveStartupState(persisted, config(), { clock });
    expect(startup.firmware).toBe('v1.1.0');
    expect(startup.settings).toEqual({ ...persisted.settings, ...NO_CALIBRATION });
    expect(startup.overriddenByEnv).toEqual([]);
  });

  it('after an upgrade, takes the calibration the previous release did not keep from the variables, silently', () => {
    const env = { HUMIDITY_OFFSET: '4', PRESSURE_OFFSET: '-0.8', ALTITUDE: '1200' };
    const startup = resolveStartupState(persisted, config(env), { clock });
    expect(startup.settings).toEqual({
      ...persisted.settings,
      correction_temperature: 0,
      correction_humidite: 4,
      correction_pression: -0.8,
      altitude: 1200,
    });
    expect(startup.overriddenByEnv).toEqual([]);
  });

  it('keeps a calibration set by command, until its variable changes', () => {
    const commanded: DeviceFacts = {
      ...persisted,
      settings: { ...persisted.settings, ...NO_CALIBRATION, altitude: 500, correction_humidite: 2 },
      envSnapshot: { ...persisted.envSnapshot, ...NO_CALIBRATION },
    };
    const kept = resolveStartupState(commanded, config(), { clock });
    expect(kept.settings).toMatchObject({ altitude: 500, correction_humidite: 2 });
    expect(kept.overriddenByEnv).toEqual([]);
    const changed = resolveStartupState(commanded, config({ ALTITUDE: '300' }), { clock });
    expect(changed.settings).toMatchObject({ altitude: 300, correction_humidite: 2 });
    expect(changed.overriddenByEnv).toEqual(['ALTITUDE']);
  });

  it('lets a variable changed since the last start win, and only that one', () => {
    const startup = resolveStartupState(persisted, config({ MODE: 'manuel' }), { clock });
    expect(startup.settings).toEqual({
      mode: 'manuel',
      intervalle: 20,
      seuil_alerte: 25,
      actif: false,
      ...NO_CALIBRATION,
    });
    expect(startup.firmware).toBe('v1.1.0');
    expect(startup.overriddenByEnv).toEqual(['MODE']);
    expect(startup.envSnapshot.mode).toBe('manuel');
  });

  it('applies every changed variable, including FIRMWARE_VERSION', () => {
    const env = { FIRMWARE_VERSION: 'v2.0.0', PUBLISH_INTERVAL: '30', ALERT_THRESHOLD: '35', MODE: 'manuel' };
    const startup = resolveStartupState(persisted, config(env), { clock });
    expect(startup.firmware).toBe('v2.0.0');
    expect(startup.settings).toEqual({
      mode: 'manuel',
      intervalle: 30,
      seuil_alerte: 35,
      actif: false,
      ...NO_CALIBRATION,
    });
    expect(startup.overriddenByEnv).toEqual([
      'FIRMWARE_VERSION',
      'MODE',
      'PUBLISH_INTERVAL',
      'ALERT_THRESHOLD',
    ]);
  });

  it('does not list a changed variable whose value the device already had', () => {
    const startup = resolveStartupState(persisted, config({ MODE: 'economie' }), { clock });
    expect(startup.settings.mode).toBe('economie');
    expect(startup.overriddenByEnv).toEqual([]);
  });

  it('a variable set explicitly to the value it had by default is no change', () => {
    const startup = resolveStartupState(persisted, config({ MODE: 'auto', PUBLISH_INTERVAL: '5' }), {
      clock,
    });
    expect(startup.settings.mode).toBe('economie');
    expect(startup.settings.intervalle).toBe(20);
  });

  it.each(['downloading', 'verifying', 'installing', 'rebooting'] as const)(
    'reports an update left %s at shutdown as failed',
    (state) => {
      const startup = resolveStartupState({ ...persisted, ota: otaIn(state) }, config(), { clock });
      expect(startup.ota).toEqual({
        ...otaIn(state),
        state: 'failed',
        error: 'v1.2.0 was interrupted by a restart; still running v1.1.0.',
        updated_at: '2024-06-01T12:00:00.000Z',
      });
      expect(startup.firmware).toBe('v1.1.0');
    },
  );

  it.each(['idle', 'succeeded', 'failed'] as const)('keeps an OTA status at rest (%s) as it was', (state) => {
    const startup = resolveStartupState({ ...persisted, ota: otaIn(state) }, config(), { clock });
    expect(startup.ota).toEqual(otaIn(state));
  });
});

describe('state survives restarts', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-startup-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A start and a clean stop of the real store, with `change` applied in between. */
  async function start(env: NodeJS.ProcessEnv, change?: (store: EdgeStore) => void) {
    const store = await EdgeStore.open({
      config: { ...config(env), dataDir: dir },
      clock,
      logger: captureLogger().logger,
    });
    change?.(store);
    expect(store.close()).toBe(true);
    return { store, startup: store.startup };
  }

  it('a command survives a restart; a later edit of the variable in the dashboard wins over it', async () => {
    await start({ PUBLISH_INTERVAL: '5' }, (store) =>
      store.applyCommand({ settings: { ...store.startup.settings, intervalle: 42 } }, null),
    );

    const second = await start({ PUBLISH_INTERVAL: '5' });
    expect(second.startup.settings.intervalle).toBe(42);

    const third = await start({ PUBLISH_INTERVAL: '9' });
    expect(third.startup.settings.intervalle).toBe(9);
    expect(third.startup.overriddenByEnv).toEqual(['PUBLISH_INTERVAL']);

    const fourth = await start({ PUBLISH_INTERVAL: '9' });
    expect(fourth.startup.settings.intervalle).toBe(9);
    expect(fourth.startup.overriddenByEnv).toEqual([]);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Telemetry, Topics } from '@fleet/shared';
import Database from 'better-sqlite3';
import type { DeviceClock } from '../../src/clock/types.js';
import { Device, type DeviceOptions } from '../../src/device/device.js';
import { type EdgeSettings, NO_CALIBRATION } from '../../src/device/settings.js';
import { type PersistedState, StateStore } from '../../src/state/device-state.js';
import { EDGE_DB_FILE } from '../../src/storage/edge-database.js';
import { EdgeStore } from '../../src/storage/edge-store.js';
import { Transactor } from '../../src/storage/transactor.js';
import { FakeLed, FakeLink, FakeSensor } from './fakes.js';

export const DEVICE_ID = 'dev-1';

export const DEFAULT_SETTINGS: EdgeSettings = {
  mode: 'auto',
  intervalle: 5,
  seuil_alerte: 30,
  actif: true,
  ...NO_CALIBRATION,
};

/** Follows the (fake) system clock: use with vi.useFakeTimers(), which fakes Date.now too. */
export const fakeTimersClock: DeviceClock = {
  now: () => new Date(),
  monotonicMs: () => Date.now(),
  synced: () => true,
};

export interface Harness {
  device: Device;
  link: FakeLink;
  /** The fake sensor (not the device's when `options.sensor` gave another). */
  sensor: FakeSensor;
  store: EdgeStore;
  led: FakeLed;
  dir: string;
  /** The state as it is on disk now, read through a connection of its own. */
  persisted(): PersistedState;
  /** The readings in the outbox on disk now, oldest first, read through a connection of its own. */
  queuedOnDisk(): Telemetry[];
  /** Makes the database refuse every write (SQLite's query_only), as a read-only or failing disk does. */
  refuseWrites(refuse: boolean): void;
  /** Stops the device and removes its folder. */
  dispose(): Promise<void>;
}

/** Reads the outbox of the database in `dir` as it is on disk, oldest first. */
export function readQueued(dir: string): Telemetry[] {
  const db = new Database(join(dir, EDGE_DB_FILE), { readonly: true });
  try {
    const rows = db.prepare('SELECT body FROM outbox ORDER BY id').all() as Array<{ body: string }>;
    return rows.map((row) => JSON.parse(row.body) as Telemetry);
  } finally {
    db.close();
  }
}

/** Reads the state of the database in `dir` as it is on disk. */
export function readPersisted(dir: string): PersistedState {
  const db = new Database(join(dir, EDGE_DB_FILE), { readonly: true });
  try {
    const { state, problem } = new StateStore(new Transactor(db)).load();
    if (!state) throw new Error(`no valid state in ${dir}: ${problem}`);
    return state;
  } finally {
    db.close();
  }
}

/**
 * A Device over fakes for the link, sensor and LED, and the real EdgeStore (SQLite) in a temporary folder,
 * started from `settings`.
 */
export async function makeDevice(
  settings: Partial<EdgeSettings> = {},
  options: Partial<Pick<DeviceOptions, 'otaStepMs' | 'publishWindow' | 'sensor'>> & {
    clock?: DeviceClock;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-device-'));
  const wanted = { ...DEFAULT_SETTINGS, ...settings };
  const clock = options.clock ?? fakeTimersClock;
  const store = await EdgeStore.open({
    config: {
      dataDir: dir,
      outboxMax: 1000,
      firmwareVersion: 'v1.0.0',
      mode: wanted.mode,
      publishInterval: wanted.intervalle,
      alertThreshold: wanted.seuil_alerte,
      tempOffset: wanted.correction_temperature,
      humidityOffset: wanted.correction_humidite,
      pressureOffset: wanted.correction_pression,
      altitude: wanted.altitude,
    },
    clock,
    logger: createLogger('edge-test', 'silent'),
  });
  if (!wanted.actif) store.applyCommand({ settings: wanted }, null);
  const link = new FakeLink(DEVICE_ID);
  const sensor = new FakeSensor();
  const led = new FakeLed();
  const device = new Device({
    deviceId: DEVICE_ID,
    logger: createLogger('edge-test', 'silent'),
    clock,
    topics: new Topics(),
    link,
    sensor: options.sensor ?? sensor,
    led,
    storage: store,
    startup: { firmware: store.startup.firmware, settings: wanted, ota: null },
    otaStepMs: options.otaStepMs,
    publishWindow: options.publishWindow,
  });
  return {
    device,
    link,
    sensor,
    store,
    led,
    dir,
    persisted: () => readPersisted(dir),
    queuedOnDisk: () => readQueued(dir),
    refuseWrites: (refuse) => store.tx.db.pragma(`query_only = ${refuse ? 'ON' : 'OFF'}`),
    dispose: async () => {
      await device.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

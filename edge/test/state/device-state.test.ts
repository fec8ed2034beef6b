import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEVICE_STATE_FILE, DeviceStateStore, type PersistedState } from '../../src/state/device-state.js';
import { captureLogger, LEVEL } from './capture-logger.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const state: PersistedState = {
  firmware: 'v1.1.0',
  settings: { mode: 'economie', intervalle: 10, seuil_alerte: 28.5, actif: false },
  envSnapshot: { firmware: 'v1.0.0', mode: 'auto', intervalle: 5, seuil_alerte: 30 },
  seqNext: 2000,
  ota: {
    state: 'succeeded',
    progress: 100,
    target_version: 'v1.1.0',
    previous_version: 'v1.0.0',
    error: null,
    command_id: 'cmd-7',
    updated_at: '2024-05-01T10:00:00.000Z',
  },
};

const newStore = () => new DeviceStateStore(join(dir, 'data'), captureLogger().logger);

describe('DeviceStateStore', () => {
  it('gives null when nothing was saved yet', async () => {
    expect(await newStore().load()).toBeNull();
  });

  it('keeps the state across a restart (a new store on the same directory)', async () => {
    await newStore().save(state);
    expect(await newStore().load()).toEqual(state);
  });

  it('writes a format number with the state', async () => {
    await newStore().save(state);
    const file = JSON.parse(await readFile(join(dir, 'data', DEVICE_STATE_FILE), 'utf8'));
    expect(file.format).toBe(1);
  });

  it('runs saves one after the other: the last one asked for is the one on disk', async () => {
    const store = newStore();
    const saves = Array.from({ length: 25 }, (_, i) =>
      store.save({ ...state, settings: { ...state.settings, intervalle: i + 1 } }),
    );
    await Promise.all(saves);
    expect((await newStore().load())?.settings.intervalle).toBe(25);
    expect(await readdir(join(dir, 'data'))).toEqual([DEVICE_STATE_FILE]);
  });

  it('update() changes some fields of the current state', async () => {
    const store = newStore();
    await store.save(state);
    const updated = await store.update({ seqNext: 3000 });
    expect(updated).toEqual({ ...state, seqNext: 3000 });
    expect(await newStore().load()).toEqual({ ...state, seqNext: 3000 });
  });

  it('update() refuses to run before a state exists', async () => {
    await expect(newStore().update({ seqNext: 1 })).rejects.toThrow('needs a state loaded or saved first');
  });

  it('never writes a seqNext lower than one already seen', async () => {
    const store = newStore();
    await store.save(state);
    await store.save({ ...state, seqNext: 10, firmware: 'v1.2.0' });
    const loaded = await newStore().load();
    expect(loaded?.seqNext).toBe(2000);
    expect(loaded?.firmware).toBe('v1.2.0');
  });

  it('treats an unparseable file as absent, with a warning', async () => {
    const path = join(dir, DEVICE_STATE_FILE);
    await writeFile(path, '{"firmware": "v1.1.0", "sett');
    const { logger, at } = captureLogger();
    expect(await new DeviceStateStore(dir, logger).load()).toBeNull();
    expect(at(LEVEL.warn)).toHaveLength(1);
  });

  it('treats a file that does not match the schema as absent, but keeps its seq mark', async () => {
    const path = join(dir, DEVICE_STATE_FILE);
    await writeFile(path, JSON.stringify({ format: 1, ...state, settings: { mode: 'turbo' } }));
    const { logger, at } = captureLogger();
    const store = new DeviceStateStore(dir, logger);
    expect(await store.load()).toBeNull();
    expect(store.seqFloor).toBe(2000);
    expect(at(LEVEL.warn)[0]).toMatchObject({ field: 'settings.mode' });
    // The next save cannot bring the mark below what the broken file held.
    await store.save({ ...state, seqNext: 0 });
    expect((await newStoreAt(dir).load())?.seqNext).toBe(2000);
  });

  it('does not read a file of an unknown format', async () => {
    await writeFile(join(dir, DEVICE_STATE_FILE), JSON.stringify({ format: 2, ...state }));
    expect(await newStoreAt(dir).load()).toBeNull();
  });

  it('removes temporary files left by a crash during a save, keeping the last good state', async () => {
    const store = newStoreAt(dir);
    await store.save(state);
    await writeFile(join(dir, `${DEVICE_STATE_FILE}.tmp-deadbeef0000`), '{"firmware":"v9');
    expect(await newStoreAt(dir).load()).toEqual(state);
    expect(await readdir(dir)).toEqual([DEVICE_STATE_FILE]);
  });
});

function newStoreAt(path: string): DeviceStateStore {
  return new DeviceStateStore(path, captureLogger().logger);
}

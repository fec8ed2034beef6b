import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { DeviceStateStore, type PersistedState } from '../../src/state/device-state.js';
import { captureLogger } from './capture-logger.js';

// Wraps the real atomic write to watch how many run at once.
const tracker = vi.hoisted(() => ({ running: 0, most: 0, order: [] as number[] }));
vi.mock('../../src/state/atomic-file.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/state/atomic-file.js')>();
  return {
    ...real,
    writeFileAtomic: async (path: string, data: string | Uint8Array) => {
      tracker.running += 1;
      tracker.most = Math.max(tracker.most, tracker.running);
      try {
        await real.writeFileAtomic(path, data);
        tracker.order.push(JSON.parse(String(data)).seqNext);
      } finally {
        tracker.running -= 1;
      }
    },
  };
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-state-serial-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base: PersistedState = {
  firmware: 'v1.0.0',
  settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
  envSnapshot: { firmware: 'v1.0.0', mode: 'auto', intervalle: 5, seuil_alerte: 30 },
  seqNext: 0,
  ota: null,
};

it('never runs two writes of the state at the same time, and writes them in the order asked', async () => {
  const store = new DeviceStateStore(dir, captureLogger().logger);
  await Promise.all(Array.from({ length: 10 }, (_, i) => store.save({ ...base, seqNext: i * 1000 })));
  expect(tracker.most).toBe(1);
  expect(tracker.order).toEqual(Array.from({ length: 10 }, (_, i) => i * 1000));
});

it('keeps saving after one write failed', async () => {
  const store = new DeviceStateStore(join(dir, 'file-in-the-way'), captureLogger().logger);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'file-in-the-way'), 'not a directory');
  await expect(store.save(base)).rejects.toThrow();
  await rm(join(dir, 'file-in-the-way'));
  await store.save({ ...base, seqNext: 5 });
  expect(
    (await new DeviceStateStore(join(dir, 'file-in-the-way'), captureLogger().logger).load())?.seqNext,
  ).toBe(5);
});

it('forgets the fields of an update whose write failed, so the next write does not carry them', async () => {
  const stateDir = join(dir, 'state');
  const store = new DeviceStateStore(stateDir, captureLogger().logger);
  await store.save(base);
  const { writeFile } = await import('node:fs/promises');
  await rm(stateDir, { recursive: true });
  await writeFile(stateDir, 'not a directory');
  const manual = { ...base.settings, mode: 'manuel' as const };
  await expect(store.update({ settings: manual })).rejects.toThrow();
  expect(store.current?.settings).toEqual(base.settings);

  await rm(stateDir);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(stateDir);
  await store.update({ seqNext: 2000 });
  const reloaded = await new DeviceStateStore(stateDir, captureLogger().logger).load();
  expect(reloaded?.settings).toEqual(base.settings);
  expect(reloaded?.seqNext).toBe(2000);
});

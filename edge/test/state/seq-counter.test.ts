import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceStateStore, type PersistedState } from '../../src/state/device-state.js';
import { SeqCounter } from '../../src/state/seq-counter.js';
import { captureLogger } from './capture-logger.js';

describe('SeqCounter', () => {
  it('reserves a block before handing out its first number', async () => {
    const events: string[] = [];
    const counter = new SeqCounter({
      start: 50,
      blockSize: 3,
      reserve: async (mark) => {
        events.push(`reserve ${mark}`);
      },
    });
    for (let i = 0; i < 7; i++) events.push(`seq ${await counter.next()}`);
    expect(events).toEqual([
      'reserve 53',
      'seq 50',
      'seq 51',
      'seq 52',
      'reserve 56',
      'seq 53',
      'seq 54',
      'seq 55',
      'reserve 59',
      'seq 56',
    ]);
    expect(counter.mark).toBe(59);
    expect(counter.peek).toBe(57);
  });

  it('gives distinct, increasing numbers to concurrent callers', async () => {
    const counter = new SeqCounter({
      start: 0,
      blockSize: 4,
      reserve: () => new Promise((r) => setTimeout(r, 1)),
    });
    const seqs = await Promise.all(Array.from({ length: 20 }, () => counter.next()));
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('hands out nothing when the reservation fails, and tries again on the next call', async () => {
    let fail = true;
    const marks: number[] = [];
    const counter = new SeqCounter({
      start: 10,
      blockSize: 5,
      reserve: async (mark) => {
        if (fail) throw new Error('disk full');
        marks.push(mark);
      },
    });
    await expect(counter.next()).rejects.toThrow('disk full');
    expect(counter.peek).toBe(10);
    fail = false;
    expect(await counter.next()).toBe(10);
    expect(marks).toEqual([15]);
  });

  it('rejects a start that is not a whole number ≥ 0', () => {
    expect(() => new SeqCounter({ start: -1, reserve: async () => {} })).toThrow(RangeError);
    expect(() => new SeqCounter({ start: 1.5, reserve: async () => {} })).toThrow(RangeError);
  });
});

describe('seq never repeats across restarts, clean or not', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-seq-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const initial: PersistedState = {
    firmware: 'v1.0.0',
    settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
    envSnapshot: { firmware: 'v1.0.0', mode: 'auto', intervalle: 5, seuil_alerte: 30 },
    seqNext: 0,
    ota: null,
  };

  /** One run of the device: load, hand out `count` numbers, then stop without any clean save (a crash). */
  async function run(count: number, blockSize: number): Promise<number[]> {
    const store = new DeviceStateStore(dir, captureLogger().logger);
    const loaded = await store.load();
    if (!loaded) await store.save(initial);
    const counter = new SeqCounter({
      start: Math.max(loaded?.seqNext ?? 0, store.seqFloor),
      blockSize,
      reserve: async (mark) => {
        await store.update({ seqNext: mark });
      },
    });
    const seqs: number[] = [];
    for (let i = 0; i < count; i++) seqs.push(await counter.next());
    return seqs;
  }

  it('every number handed out over several crashed runs is new and larger than the last', async () => {
    const all: number[] = [];
    for (const count of [15, 1, 0, 9, 10, 23]) all.push(...(await run(count, 10)));
    expect(new Set(all).size).toBe(all.length);
    for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThan(all[i - 1] as number);
    expect(all).toHaveLength(58);
  });

  it('a command saved with an older mark cannot make seq go back', async () => {
    const store = new DeviceStateStore(dir, captureLogger().logger);
    await store.save(initial);
    const stale = store.current as PersistedState;
    const counter = new SeqCounter({
      start: 0,
      blockSize: 10,
      reserve: (mark) => store.update({ seqNext: mark }).then(() => {}),
    });
    const first = [await counter.next(), await counter.next()];
    // The controller saves settings from an object built before the reservation.
    await store.save({ ...stale, settings: { ...stale.settings, mode: 'manuel' } });
    const after = await run(1, 10);
    expect(after[0]).toBeGreaterThan(Math.max(...first));
  });
});

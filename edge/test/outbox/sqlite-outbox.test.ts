import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Telemetry } from '@fleet/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteOutbox, type SqliteOutboxOptions } from '../../src/outbox/sqlite-outbox.js';
import { StateStore } from '../../src/state/device-state.js';
import { applySchema } from '../../src/storage/schema.js';
import { Transactor } from '../../src/storage/transactor.js';
import { captureLogger, LEVEL } from '../state/capture-logger.js';
import { reading } from './telemetry-fixture.js';

const EPOCH = 'aaaabbbbccccdddd';
let dir: string;
const open: Database.Database[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edge-outbox-'));
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An outbox over a real database file in the test's folder, as the store wires it. */
function make(options: Partial<SqliteOutboxOptions> = {}) {
  const db = new Database(join(dir, 'edge.db'));
  open.push(db);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  applySchema(db);
  const tx = new Transactor(db);
  const state = new StateStore(tx);
  const log = captureLogger();
  const outbox = new SqliteOutbox({
    tx,
    logger: log.logger,
    max: 1000,
    epoch: EPOCH,
    seqNext: 0,
    saveSeqNext: (seqNext) => state.write({ seqNext }),
    ...options,
  });
  outbox.open();
  return {
    db,
    tx,
    state,
    outbox,
    ...log,
    refuse: (on: boolean) => db.pragma(`query_only = ${on ? 'ON' : 'OFF'}`),
  };
}

const build = ({ epoch, seq }: { epoch: string; seq: number }): Telemetry => ({ ...reading(seq), epoch });
const seqs = (items: Telemetry[]) => items.map((item) => item.seq);
const savedSeqNext = (db: Database.Database) =>
  JSON.parse((db.prepare("SELECT value FROM state WHERE key = 'seqNext'").get() as { value: string }).value);

describe('SqliteOutbox', () => {
  it('numbers readings 0, 1, 2, … in the epoch and gives them back oldest first', () => {
    const { outbox, db } = make();
    expect(outbox.take(build)).toMatchObject({ epoch: EPOCH, seq: 0 });
    outbox.take(build);
    outbox.take(build);
    expect(seqs(outbox.peek(10))).toEqual([0, 1, 2]);
    expect(seqs(outbox.peek(2))).toEqual([0, 1]);
    expect(outbox.size).toBe(3);
    // The seq counter is written with each reading, in its transaction.
    expect(savedSeqNext(db)).toBe(3);
  });

  it('removes what the broker acknowledged, by identity; unknown identities are ignored', () => {
    const { outbox } = make();
    for (let i = 0; i < 5; i++) outbox.take(build);
    outbox.remove([
      { epoch: EPOCH, seq: 0 },
      { epoch: EPOCH, seq: 3 },
      { epoch: 'other', seq: 1 },
      { seq: 2 },
    ]);
    expect(seqs(outbox.peek(10))).toEqual([1, 2, 4]);
    expect(outbox.size).toBe(3);
  });

  it('keeps what is queued across a reopen, and goes on counting from the saved seq', () => {
    const first = make();
    for (let i = 0; i < 3; i++) first.outbox.take(build);
    first.outbox.remove([{ epoch: EPOCH, seq: 0 }]);
    first.db.close();
    const again = make({ seqNext: 3 });
    expect(seqs(again.outbox.peek(10))).toEqual([1, 2]);
    expect(again.outbox.take(build).seq).toBe(3);
  });

  it('add() in a transaction that fails queues nothing and uses no seq', () => {
    const { outbox, tx } = make();
    outbox.take(build);
    expect(() =>
      tx.run(() => {
        outbox.add(build);
        throw new Error('the rest of the command failed');
      }),
    ).toThrow('the rest of the command failed');
    expect(seqs(outbox.peek(10))).toEqual([0]);
    expect(outbox.seqNext).toBe(1);
    expect(outbox.take(build).seq).toBe(1);
  });

  it('holds readings in memory while the database refuses writes, publishes them, and writes them back after', () => {
    const { outbox, refuse, at, db } = make();
    outbox.take(build);
    refuse(true);
    outbox.take(build);
    outbox.take(build);
    expect(outbox.held).toBe(2);
    expect(seqs(outbox.peek(10))).toEqual([0, 1, 2]);
    // Logged once, with what is done.
    const errors = at(LEVEL.error);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/readonly.*readings are held in memory \(at most 10000\), published live/);
    // A held reading delivered while the disk refuses is simply dropped from memory.
    outbox.remove([{ epoch: EPOCH, seq: 1 }]);
    refuse(false);
    outbox.take(build);
    expect(outbox.held).toBe(0);
    expect(seqs(outbox.peek(10))).toEqual([0, 2, 3]);
    expect(savedSeqNext(db)).toBe(4);
    expect(at(LEVEL.info).map((line) => line.msg)).toEqual([
      'The database accepts writes again; the 1 reading(s) still held in memory are written to it.',
    ]);
  });

  it('says once that writes are accepted again, also when every held reading was delivered meanwhile', () => {
    const { outbox, refuse, at } = make();
    refuse(true);
    outbox.take(build);
    outbox.remove([{ epoch: EPOCH, seq: 0 }]);
    refuse(false);
    outbox.take(build);
    outbox.take(build);
    expect(at(LEVEL.info).map((line) => line.msg)).toEqual([
      'The database accepts writes again; the 0 reading(s) still held in memory are written to it.',
    ]);
  });

  it('drops the oldest held reading beyond memoryMax, counts it and says so', () => {
    const { outbox, refuse, at } = make({ memoryMax: 3 });
    refuse(true);
    for (let i = 0; i < 5; i++) outbox.take(build);
    expect(seqs(outbox.peek(10))).toEqual([2, 3, 4]);
    expect(outbox.dropped).toBe(2);
    expect(at(LEVEL.warn)[0]?.msg).toMatch(/more than 3 readings in memory; dropping the oldest/);
  });

  it('hides delivered readings whose removal cannot be written, and removes them once it can', () => {
    const { outbox, refuse, at } = make();
    for (let i = 0; i < 6; i++) outbox.take(build);
    refuse(true);
    outbox.remove([
      { epoch: EPOCH, seq: 0 },
      { epoch: EPOCH, seq: 1 },
    ]);
    outbox.remove([{ epoch: EPOCH, seq: 4 }]);
    expect(seqs(outbox.peek(10))).toEqual([2, 3, 5]);
    expect(outbox.size).toBe(3);
    expect(at(LEVEL.warn)).toHaveLength(1);
    expect(at(LEVEL.warn)[0]?.msg).toMatch(/delivered readings stay in the database, not sent again/);
    refuse(false);
    outbox.remove([{ epoch: EPOCH, seq: 2 }]);
    expect(seqs(outbox.peek(10))).toEqual([3, 5]);
    expect(outbox.size).toBe(2);
  });

  it('after a restart, a delivered reading whose removal was never written goes out again (twice, never lost)', () => {
    const first = make();
    for (let i = 0; i < 3; i++) first.outbox.take(build);
    first.refuse(true);
    first.outbox.remove([{ epoch: EPOCH, seq: 0 }]);
    first.db.close();
    expect(seqs(make({ seqNext: 3 }).outbox.peek(10))).toEqual([0, 1, 2]);
  });

  it('at OUTBOX_MAX drops the oldest to keep the newest, and warns', () => {
    const { outbox, at } = make({ max: 3 });
    for (let i = 0; i < 5; i++) outbox.take(build);
    expect(seqs(outbox.peek(10))).toEqual([2, 3, 4]);
    expect(outbox.size).toBe(3);
    expect(outbox.dropped).toBe(2);
    expect(at(LEVEL.warn)[0]?.msg).toMatch(/The outbox is full \(OUTBOX_MAX=3\); dropping the oldest/);
  });

  it('trims at open an outbox that holds more than OUTBOX_MAX (it was lowered), with one warning', () => {
    const first = make();
    for (let i = 0; i < 5; i++) first.outbox.take(build);
    first.db.close();
    const { outbox, at } = make({ max: 2, seqNext: 5 });
    expect(seqs(outbox.peek(10))).toEqual([3, 4]);
    expect(at(LEVEL.warn).map((line) => line.msg)).toEqual([
      'The outbox held more than OUTBOX_MAX (2) readings; dropped the 3 oldest.',
    ]);
  });

  it('imports readings of the previous release as they were, first, and not twice', () => {
    const { outbox, tx } = make();
    outbox.take(build);
    const legacy = [7, 8].map((seq) => ({ seq, line: JSON.stringify(reading(seq)) }));
    expect(tx.run(() => outbox.importLegacy(legacy))).toBe(2);
    expect(tx.run(() => outbox.importLegacy(legacy))).toBe(0);
    const queued = outbox.peek(10);
    expect(queued.map((item) => [item.epoch, item.seq])).toEqual([
      [EPOCH, 0],
      [undefined, 7],
      [undefined, 8],
    ]);
    expect(queued[1]).toEqual(reading(7));
    outbox.remove([{ seq: 7 }]);
    expect(seqs(outbox.peek(10))).toEqual([0, 8]);
  });
});

import type { Ack } from '@fleet/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMAND_MEMORY_LIMIT, CommandMemory } from '../../src/state/command-memory.js';
import { applySchema } from '../../src/storage/schema.js';
import { Transactor } from '../../src/storage/transactor.js';

const ackFor = (commandId: string, status: Ack['status'] = 'applied'): Ack => ({
  v: 2,
  device_id: 'dev-1',
  command_id: commandId,
  status,
  error:
    status === 'applied'
      ? null
      : 'Field "mode" received "turbo"; accepted: one of "auto", "manuel", "economie".',
  settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
  firmware: 'v1.0.0',
  timestamp: '2026-12-01T12:00:00.000Z',
});

describe('CommandMemory', () => {
  let db: Database.Database;
  let tx: Transactor;

  beforeEach(() => {
    db = new Database(':memory:');
    applySchema(db);
    tx = new Transactor(db);
  });
  afterEach(() => db.close());

  it('gives back the very ack remembered for a command id, and null for one never seen', () => {
    const memory = new CommandMemory(tx);
    memory.remember('c-1', ackFor('c-1'), new Date('2026-12-01T12:00:00Z'));
    memory.remember('c-2', ackFor('c-2', 'rejected'), null);
    expect(memory.recall('c-1')).toEqual(ackFor('c-1'));
    expect(memory.recall('c-2')).toEqual(ackFor('c-2', 'rejected'));
    expect(memory.recall('c-3')).toBeNull();
  });

  it(`keeps the last ${COMMAND_MEMORY_LIMIT} and forgets the oldest`, () => {
    const memory = new CommandMemory(tx);
    for (let i = 0; i < COMMAND_MEMORY_LIMIT + 10; i++) memory.remember(`c-${i}`, ackFor(`c-${i}`), null);
    expect(memory.size).toBe(COMMAND_MEMORY_LIMIT);
    expect(memory.recall('c-9')).toBeNull();
    expect(memory.recall('c-10')).not.toBeNull();
  });

  it('forgets acks older than 7 days by a synchronised clock; one kept without a time is forgotten by count only', () => {
    const memory = new CommandMemory(tx);
    memory.remember('old', ackFor('old'), new Date('2026-11-20T00:00:00Z'));
    memory.remember('unsynced', ackFor('unsynced'), null);
    memory.remember('recent', ackFor('recent'), new Date('2026-11-25T00:00:00Z'));
    memory.remember('now', ackFor('now'), new Date('2026-12-01T00:00:00Z'));
    expect(memory.recall('old')).toBeNull();
    expect(memory.recall('unsynced')).not.toBeNull();
    expect(memory.recall('recent')).not.toBeNull();
  });

  it("is written in the caller's transaction: a failed command leaves no ack behind", () => {
    const memory = new CommandMemory(tx);
    expect(() =>
      tx.run(() => {
        memory.remember('c-1', ackFor('c-1'), null);
        throw new Error('the settings could not be written');
      }),
    ).toThrow();
    expect(memory.recall('c-1')).toBeNull();
  });
});

import { join } from 'node:path';
import { DashboardEvents, TelemetryStore } from '@fleet/dashboard';
import type { Ack } from '@fleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FailedLogins, LoginThrottle, MemoryFailedLogins } from '../../src/access/login-throttle.js';
import { PgFailedLogins } from '../../src/access/pg-failed-logins.js';
import type { CommandLogEntry } from '../../src/api-types.js';
import { CommandTrail } from '../../src/commands/command-trail.js';
import { Tombstones } from '../../src/fleet/tombstones.js';
import { PgReadingStore } from '../../src/storage/postgres/pg-store.js';
import type { ReadingStore } from '../../src/storage/reading-store.js';
import { pgSharedStores, type SharedStores, sqliteSharedStores } from '../../src/storage/shared-stores.js';
import { SqliteReadingStore } from '../../src/storage/sqlite-reading-store.js';
import { eventually, ManualClock, quietLogger, tempDir } from '../server/fixtures.js';
import { postgresMissing, startTestPostgres, type TestPostgres } from '../support/postgres-server.js';

/** Two replicas on one database: each with its own connection(s) and its own stores on them. */
interface Replica {
  shared: SharedStores;
  readings: ReadingStore;
  failedLogins: FailedLogins;
}
type OpenPair = () => Promise<[Replica, Replica]>;

/**
 * Runs `suite` on SQLite (two connections to one file: replicas sharing it, as the drill does) and on
 * PostgreSQL (two pools on one database). Where PostgreSQL is not installed, its half is one skipped test that
 * says why. The failed logins are in memory on SQLite (one process each, as without DATABASE_URL).
 */
function describeOnBoth(title: string, suite: (open: OpenPair, engine: 'sqlite' | 'postgresql') => void) {
  describe(`${title} (SQLite)`, () => {
    const toClose: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const close of toClose) await close();
    });
    suite(async () => {
      const dir = await tempDir();
      const path = join(dir.path, 'dashboard.sqlite');
      const replica = async (): Promise<Replica> => {
        const store = new TelemetryStore({ path, logger: quietLogger() });
        const readings = new SqliteReadingStore(store);
        await readings.open();
        toClose.push(() => readings.close());
        return {
          shared: sqliteSharedStores(store.database),
          readings,
          failedLogins: new MemoryFailedLogins(),
        };
      };
      const pair: [Replica, Replica] = [await replica(), await replica()];
      toClose.push(() => dir.remove());
      return pair;
    }, 'sqlite');
  });
  const missing = postgresMissing();
  describe(`${title} (PostgreSQL)`, () => {
    if (missing) {
      console.warn(`SKIPPED: ${title} (PostgreSQL): ${missing}`);
      it.skip(`skipped: ${missing}`, () => {});
      return;
    }
    let server: TestPostgres;
    const opened: PgReadingStore[] = [];
    beforeAll(async () => {
      server = await startTestPostgres();
    });
    afterAll(async () => {
      for (const store of opened) await store.close();
      await server?.stop();
    });
    suite(async () => {
      const url = await server.createDatabase();
      const replica = async (): Promise<Replica> => {
        const readings = new PgReadingStore({ url, logger: quietLogger(), poolSize: 3 });
        await readings.open();
        opened.push(readings);
        const pool = readings.sharedPool();
        return { shared: pgSharedStores(pool), readings, failedLogins: new PgFailedLogins(pool) };
      };
      return [await replica(), await replica()];
    }, 'postgresql');
  });
}

const clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
const sender = { name: 'ada', kind: 'user' as const };
const ackOf = (deviceId: string, commandId: string, overrides: Partial<Ack> = {}): Ack =>
  ({
    v: 2,
    device_id: deviceId,
    command_id: commandId,
    status: 'applied',
    error: null,
    timestamp: '2026-12-01T10:00:01Z',
    ...overrides,
  }) as Ack;

/** A trail on the replica's store, and the `command` events it announces. */
function trailOf(replica: Replica) {
  const events = new DashboardEvents();
  const announced: CommandLogEntry[] = [];
  events.on('command', (entry) => announced.push(entry));
  return { trail: new CommandTrail(replica.shared.trail, clock, events), announced };
}

describeOnBoth('the command trail shared by replicas', (open, engine) => {
  it('lists a command recorded through one replica on the other, newest first; a command id is taken once', async () => {
    const [a, b] = await open();
    const onA = trailOf(a);
    const onB = trailOf(b);
    const sentAt = clock.now().toISOString();
    await onA.trail.record({
      commandId: 'c1',
      deviceId: 'pi-1',
      by: sender,
      command: { intervalle: 5 },
      outcome: 'no_answer',
    });
    clock.advance(1000);
    await onA.trail.record({
      commandId: 'c2',
      deviceId: 'pi-1',
      by: sender,
      command: { read_now: true },
      outcome: 'not_sent',
      error: 'The MQTT broker was not reachable.',
    });
    await onA.trail.record({
      commandId: 'c3',
      deviceId: 'pi-2',
      by: sender,
      command: { read_now: true },
      outcome: 'no_answer',
    });
    expect(onA.announced.map((entry) => entry.command_id)).toEqual(['c1', 'c2', 'c3']);
    expect(await onB.trail.has('c1')).toBe(true);
    expect(await onB.trail.has('c9')).toBe(false);
    const listed = await onB.trail.list('pi-1', 10);
    expect(listed.map((entry) => [entry.command_id, entry.outcome, entry.error])).toEqual([
      ['c2', 'not_sent', 'The MQTT broker was not reachable.'],
      ['c1', 'no_answer', null],
    ]);
    expect(listed[1]).toEqual({
      command_id: 'c1',
      device_id: 'pi-1',
      sent_at: sentAt,
      by: sender,
      command: { intervalle: 5 },
      outcome: 'no_answer',
      error: null,
      answered_at: null,
    });
    expect((await onB.trail.list('pi-1', 1)).map((entry) => entry.command_id)).toEqual(['c2']);
    // The unique key holds across replicas: the same id again is refused, and the first row is kept.
    await expect(
      Promise.resolve().then(() =>
        onB.trail.record({
          commandId: 'c1',
          deviceId: 'pi-9',
          by: sender,
          command: {},
          outcome: 'no_answer',
        }),
      ),
    ).rejects.toThrow(engine === 'sqlite' ? /UNIQUE constraint failed/ : /duplicate key value/);
    expect((await onA.trail.list('pi-9', 10)).length).toBe(0);
    expect(await onB.trail.outcomeCounts()).toEqual({ no_answer: 2, applied: 0, rejected: 0, not_sent: 1 });
  });

  it('an ack that every replica receives answers the row once; each replica announces the answer once', async () => {
    const [a, b] = await open();
    const onA = trailOf(a);
    const onB = trailOf(b);
    await onA.trail.record({
      commandId: 'c1',
      deviceId: 'pi-1',
      by: sender,
      command: { intervalle: 5 },
      outcome: 'no_answer',
    });
    clock.advance(2000);
    const answeredAt = clock.now().toISOString();
    const first = await onB.trail.answer(ackOf('pi-1', 'c1'));
    expect(first).toMatchObject({ command_id: 'c1', outcome: 'applied', answered_at: answeredAt });
    clock.advance(500);
    // A gets the same ack: the row is not written again (answered_at stays B's), and A announces it once.
    const second = await onA.trail.answer(ackOf('pi-1', 'c1', { status: 'rejected', error: 'late' }));
    expect(second).toEqual(first);
    expect(await onA.trail.answer(ackOf('pi-1', 'c1'))).toBeNull();
    expect(await onB.trail.answer(ackOf('pi-1', 'c1'))).toBeNull();
    expect(onA.announced.map((entry) => [entry.command_id, entry.outcome])).toEqual([
      ['c1', 'no_answer'],
      ['c1', 'applied'],
    ]);
    expect(onB.announced.map((entry) => [entry.command_id, entry.outcome])).toEqual([['c1', 'applied']]);
    expect((await onA.trail.list('pi-1', 5))[0]).toMatchObject({
      outcome: 'applied',
      error: null,
      answered_at: answeredAt,
    });
    expect(await onA.trail.outcomeCounts()).toEqual({ no_answer: 0, applied: 1, rejected: 0, not_sent: 0 });
  });

  it('an ack that reaches a replica before the sender has recorded its command is tried again there, and announced', async () => {
    const [a, b] = await open();
    const onA = trailOf(a);
    const onB = trailOf(b);
    expect(await onB.trail.answer(ackOf('pi-1', 'early'))).toBeNull();
    await onA.trail.record({
      commandId: 'early',
      deviceId: 'pi-1',
      by: sender,
      command: { read_now: true },
      outcome: 'no_answer',
    });
    await eventually(() => onB.announced.length > 0, 10_000, "B's retry");
    expect(onB.announced.map((entry) => [entry.command_id, entry.outcome])).toEqual([['early', 'applied']]);
    expect((await onA.trail.list('pi-1', 1))[0]?.outcome).toBe('applied');
    onB.trail.stop();
  });

  it('answers only the command of that device, once; a rejection keeps its reason; an unknown command is no answer', async () => {
    const [a, b] = await open();
    const onA = trailOf(a);
    const onB = trailOf(b);
    await onA.trail.record({
      commandId: 'c1',
      deviceId: 'pi-1',
      by: sender,
      command: { read_now: true },
      outcome: 'no_answer',
    });
    expect(await onB.trail.answer(ackOf('pi-2', 'c1'))).toBeNull();
    expect(await onB.trail.answer(ackOf('pi-1', 'nope'))).toBeNull();
    const rejected = await onB.trail.answer(ackOf('pi-1', 'c1', { status: 'rejected', error: 'busy' }));
    expect(rejected).toMatchObject({ outcome: 'rejected', error: 'busy' });
    // Answered without announcing (the ingest announces after its commit), then not again.
    const quiet = trailOf(a);
    expect(await quiet.trail.answer(ackOf('pi-1', 'c1'), { announce: false })).toMatchObject({
      outcome: 'rejected',
    });
    expect(quiet.announced).toEqual([]);
  });
});

describeOnBoth('the list of forgotten devices shared by replicas', (open) => {
  it('a device forgotten through one replica is listed on the other at its next read; a live message on it brings it back on both', async () => {
    const [a, b] = await open();
    const onA = new Tombstones({ store: a.shared.forgotten, logger: quietLogger() });
    const onB = new Tombstones({ store: b.shared.forgotten, logger: quietLogger() });
    await onA.load();
    await onB.load();
    await a.readings.saveDevices([
      {
        device_id: 'pi-1',
        first_seen: 1,
        last_seen: null,
        status: null,
        online_status: null,
        latest: null,
        settings: null,
        firmware: null,
        alerte: false,
        availability: null,
      },
    ]);
    onA.add('pi-1');
    await a.readings.forgetDevice('pi-1', Date.parse('2026-12-01T10:00:00Z'));
    onA.written('pi-1');
    // Listed in the transaction that removed the registry row.
    expect((await b.readings.loadDevices()).map((row) => row.device_id)).toEqual([]);
    expect(await onB.reload()).toEqual({ forgotten: ['pi-1'], back: [] });
    expect(onB.has('pi-1')).toBe(true);
    expect(onB.admits('pi-1', true)).toBe(false);
    expect(await onB.reload()).toEqual({ forgotten: [], back: [] });
    // A live message taken in by B: B unforgets it in the database, and A's next read takes it back too.
    expect(onB.admits('pi-1', false)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (let tries = 0; tries < 50 && (await b.shared.forgotten.forgottenDevices()).length > 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await a.shared.forgotten.forgottenDevices()).toEqual([]);
    expect(await onA.reload()).toEqual({ forgotten: [], back: ['pi-1'] });
    expect(onA.admits('pi-1', true)).toBe(true);
  });

  it('a read that started before this replica forgot a device does not undo it here', async () => {
    const [a] = await open();
    const tombstones = new Tombstones({ store: a.shared.forgotten, logger: quietLogger() });
    await tombstones.load();
    const reading = tombstones.reload();
    tombstones.add('pi-7'); // forgotten here while the list was being read, not written yet
    expect(await reading).toEqual({ forgotten: [], back: [] });
    expect(tombstones.has('pi-7')).toBe(true);
  });
});

describeOnBoth('failed logins', (open, engine) => {
  it('lock a name after 10 failures in 15 minutes for 60 s, doubling; a success clears it', async () => {
    const [a] = await open();
    const local = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
    const throttle = new LoginThrottle({ clock: local, store: a.failedLogins });
    for (let i = 0; i < 9; i++) expect(await throttle.failed('alice')).toBe(0);
    expect(await throttle.failed('alice')).toBe(60_000);
    expect(await throttle.lockedFor('alice')).toBe(60_000);
    expect(await throttle.lockedFor('bob')).toBe(0);
    local.advance(60_000);
    for (let i = 0; i < 9; i++) await throttle.failed('alice');
    expect(await throttle.failed('alice')).toBe(120_000);
    await throttle.succeeded('alice');
    expect(await throttle.lockedFor('alice')).toBe(0);
    for (let i = 0; i < 9; i++) await throttle.failed('alice');
    local.advance(15 * 60_000);
    expect(await throttle.failed('alice')).toBe(0);
  });

  if (engine === 'postgresql') {
    it('count together on two replicas, failures arriving at both at once', async () => {
      const [a, b] = await open();
      const local = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
      const onA = new LoginThrottle({ clock: local, store: a.failedLogins });
      const onB = new LoginThrottle({ clock: local, store: b.failedLogins });
      const locks = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? onA : onB).failed('alice')),
      );
      expect(locks.filter((ms) => ms > 0)).toEqual([60_000]);
      expect(await onA.lockedFor('alice')).toBe(60_000);
      expect(await onB.lockedFor('alice')).toBe(60_000);
      await onB.succeeded('alice');
      expect(await onA.lockedFor('alice')).toBe(0);
    });
  }
});

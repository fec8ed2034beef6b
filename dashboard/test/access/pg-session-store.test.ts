import type pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PgSessionStore, pgKeptSecret } from '../../src/access/pg-session-store.js';
import { migrate } from '../../src/storage/postgres/migrations.js';
import { createPool } from '../../src/storage/postgres/pool.js';
import { capturingLogger, ManualClock } from '../server/fixtures.js';
import { describeWithPostgres, postgresMissing } from '../support/postgres-server.js';

const missing = postgresMissing();

describeWithPostgres('PgSessionStore and kept secrets on PostgreSQL', missing, (server) => {
  let url: string;
  let pool: pg.Pool;
  let clock: ManualClock;
  let sessions: PgSessionStore;
  beforeEach(async () => {
    url = await server().createDatabase();
    pool = createPool(url, 2);
    await migrate(pool, capturingLogger('info').logger);
    clock = new ManualClock(0);
    sessions = new PgSessionStore(pool, clock, 60_000);
  });
  afterEach(async () => {
    await pool.end();
  });
  const get = (store: PgSessionStore, id: string) =>
    new Promise((resolve, reject) =>
      store.get(id, (error, session) => (error ? reject(error) : resolve(session))),
    );
  const set = (store: PgSessionStore, id: string, data: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) =>
      store.set(id, data, (error) => (error ? reject(error) : resolve())),
    );
  const rows = async (sql: string) => (await pool.query(sql)).rows;

  it('keeps logged-in sessions only, for their lifetime from the login (saving again does not extend it)', async () => {
    await set(sessions, 'anonymous', { cookie: {} });
    expect(await get(sessions, 'anonymous')).toBeNull();
    await set(sessions, 's1', { username: 'alice', cookie: { path: '/' } });
    expect(await get(sessions, 's1')).toEqual({ username: 'alice', cookie: { path: '/' } });
    expect(await rows('SELECT username, expires_at FROM sessions')).toEqual([
      { username: 'alice', expires_at: 60_000 },
    ]);
    clock.advance(30_000);
    await set(sessions, 's1', { username: 'alice', cookie: { path: '/' }, note: 1 });
    clock.advance(29_999);
    expect(await sessions.isLive('s1')).toBe(true);
    clock.advance(1);
    expect(await get(sessions, 's1')).toBeNull();
    expect(await rows('SELECT COUNT(*)::int AS n FROM sessions')).toEqual([{ n: 0 }]);
  });

  it('removes expired rows when a new session is stored, and destroys one on request', async () => {
    await set(sessions, 'old', { username: 'alice' });
    clock.advance(60_000);
    await set(sessions, 'new', { username: 'bob' });
    expect(await rows('SELECT id FROM sessions')).toEqual([{ id: 'new' }]);
    await new Promise<void>((resolve, reject) =>
      sessions.destroy('new', (error) => (error ? reject(error) : resolve())),
    );
    expect(await sessions.isLive('new')).toBe(false);
    clock.advance(60_000);
    expect(await sessions.removeExpired()).toBe(0);
  });

  it('two replicas (two pools on one database) share sessions: made on A, read and ended on B; ended by user', async () => {
    const otherPool = createPool(url, 2);
    try {
      const other = new PgSessionStore(otherPool, clock, 60_000);
      await set(sessions, 'a1', { username: 'alice' });
      await set(sessions, 'a2', { username: 'alice' });
      await set(sessions, 'b1', { username: 'bob' });
      expect(await get(other, 'a1')).toEqual({ username: 'alice' });
      await new Promise<void>((resolve, reject) =>
        other.destroy('a1', (error) => (error ? reject(error) : resolve())),
      );
      expect(await sessions.isLive('a1')).toBe(false);
      expect(await other.removeUser('alice')).toBe(1);
      expect(await sessions.isLive('a2')).toBe(false);
      expect(await sessions.isLive('b1')).toBe(true);
    } finally {
      await otherPool.end();
    }
  });

  it('a failing database answers the callback with the error, and nothing is said to be live', async () => {
    const closed = createPool(url, 1);
    await closed.end();
    const broken = new PgSessionStore(closed, clock, 60_000);
    await expect(get(broken, 's1')).rejects.toThrow();
    await expect(set(broken, 's1', { username: 'alice' })).rejects.toThrow();
    await expect(broken.isLive('s1')).rejects.toThrow();
  });

  it('makes a secret once: replicas making it together all get the first one, and a restart reads it back', async () => {
    const pools = [createPool(url, 1), createPool(url, 1), createPool(url, 1)];
    try {
      const made = await Promise.all(
        pools.map((p, i) => pgKeptSecret(p, 'session-secret', () => `key-${i}`)),
      );
      expect(new Set(made).size).toBe(1);
      expect(made[0]).toMatch(/^key-[012]$/);
      expect(await pgKeptSecret(pool, 'session-secret')).toBe(made[0]);
      const random = await pgKeptSecret(pool, 'another');
      expect(random).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(random).not.toBe(made[0]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});

import { keptSecret, SqliteSessionStore } from '@fleet/dashboard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TelemetryStore } from '../../src/storage/telemetry-store.js';
import { ManualClock, openStore, tempDir } from '../server/fixtures.js';

describe('SqliteSessionStore and kept secrets', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  let clock: ManualClock;
  let sessions: SqliteSessionStore;
  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
    clock = new ManualClock(0);
    sessions = new SqliteSessionStore(store.database, clock, 60_000);
  });
  afterEach(async () => {
    store.close();
    await dir.remove();
  });
  const get = (id: string) =>
    new Promise((resolve, reject) =>
      sessions.get(id, (error, session) => (error ? reject(error) : resolve(session))),
    );
  const set = (id: string, data: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) =>
      sessions.set(id, data, (error) => (error ? reject(error) : resolve())),
    );

  it('keeps logged-in sessions only, for their lifetime from the login (saving again does not extend it)', async () => {
    await set('anonymous', { cookie: {} });
    expect(await get('anonymous')).toBeNull();
    await set('s1', { username: 'alice', cookie: { path: '/' } });
    expect(await get('s1')).toEqual({ username: 'alice', cookie: { path: '/' } });
    expect(store.database.prepare('SELECT username, expires_at FROM sessions').all()).toEqual([
      { username: 'alice', expires_at: 60_000 },
    ]);
    clock.advance(30_000);
    await set('s1', { username: 'alice', cookie: { path: '/' }, note: 1 });
    clock.advance(29_999);
    expect(sessions.isLive('s1')).toBe(true);
    clock.advance(1);
    expect(await get('s1')).toBeNull();
    expect(store.database.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 });
  });

  it('removes expired rows when a new session is stored, and destroys one on request', async () => {
    await set('old', { username: 'alice' });
    clock.advance(60_000);
    await set('new', { username: 'bob' });
    expect(store.database.prepare('SELECT id FROM sessions').all()).toEqual([{ id: 'new' }]);
    await new Promise<void>((resolve) => sessions.destroy('new', () => resolve()));
    expect(sessions.isLive('new')).toBe(false);
  });

  it('makes a secret once and gives the same one back after a restart', () => {
    const first = keptSecret(store.database, 'session-secret');
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    store.close();
    store = openStore(dir.path);
    expect(keptSecret(store.database, 'session-secret')).toBe(first);
    expect(keptSecret(store.database, 'another')).not.toBe(first);
  });
});

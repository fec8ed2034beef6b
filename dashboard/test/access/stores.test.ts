import { hashPassword, TokenStore, UserError, UserStore, verifyPassword } from '@fleet/dashboard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TelemetryStore } from '../../src/storage/telemetry-store.js';
import { ManualClock, openStore, tempDir } from '../server/fixtures.js';

describe('passwords', () => {
  it('are stored as scrypt hashes with their cost and a salt of their own, and verified against them', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    expect(first).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(second).not.toBe(first);
    expect(first).not.toContain('correct');
    expect(await verifyPassword('correct horse battery', first)).toBe(true);
    expect(await verifyPassword('correct horse batterY', first)).toBe(false);
    expect(await verifyPassword('correct horse battery', 'md5$abc')).toBe(false);
  });
});

describe('UserStore and TokenStore', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  let clock: ManualClock;
  let users: UserStore;
  let tokens: TokenStore;

  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
    clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
    users = new UserStore(store.database, clock);
    tokens = new TokenStore(store.database, clock);
  });
  afterEach(async () => {
    store.close();
    await dir.remove();
  });

  it('adds, verifies, lists and removes users; a removed user has no session left', async () => {
    await users.add('alice', 'operator', 'a long password');
    expect(users.count).toBe(1);
    expect(await users.verify('alice', 'a long password')).toMatchObject({
      username: 'alice',
      role: 'operator',
    });
    expect(await users.verify('alice', 'wrong password')).toBeNull();
    expect(await users.verify('nobody', 'a long password')).toBeNull();
    store.database
      .prepare("INSERT INTO sessions (id, username, data, expires_at) VALUES ('s1', 'alice', '{}', 0)")
      .run();
    users.remove('alice');
    expect(users.list()).toEqual([]);
    expect(store.database.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 });
  });

  it('refuses a bad name, role or password, and a name taken, each in one sentence', async () => {
    await expect(users.add('bad name', 'viewer', 'a long password')).rejects.toThrow(
      new UserError(
        'User name "bad name" is not accepted; accepted: 1 to 64 characters: letters, digits, "_", ".", "@" or "-", starting with a letter or digit.',
      ),
    );
    await expect(users.add('bob', 'root' as never, 'a long password')).rejects.toThrow(
      'Role "root" is not accepted; accepted: one of viewer, operator, admin.',
    );
    await expect(users.add('bob', 'viewer', 'short')).rejects.toThrow(
      'The password received 5 characters; accepted: 10 to 200 characters.',
    );
    await users.add('bob', 'viewer', 'a long password');
    await expect(users.add('bob', 'admin', 'another password')).rejects.toThrow('User "bob" exists already.');
    expect(() => users.remove('carol')).toThrow('User "carol" does not exist.');
  });

  it('changes a password, ending the other sessions and keeping the one asked for', async () => {
    await users.add('alice', 'admin', 'first password', true);
    expect(users.get('alice')?.mustChangePassword).toBe(true);
    for (const id of ['s1', 's2']) {
      store.database
        .prepare("INSERT INTO sessions (id, username, data, expires_at) VALUES (?, 'alice', '{}', 0)")
        .run(id);
    }
    await users.setPassword('alice', 'second password', { keepSession: 's1' });
    expect(await users.verify('alice', 'first password')).toBeNull();
    expect(await users.verify('alice', 'second password')).toMatchObject({ mustChangePassword: false });
    expect(store.database.prepare('SELECT id FROM sessions').all()).toEqual([{ id: 's1' }]);
  });

  it('makes API tokens whose secret is shown once, stored hashed, and refused once revoked', () => {
    const { token, info } = tokens.create('grafana', 'viewer', 'alice');
    expect(token).toMatch(/^fleet_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const secret = token.split('_').slice(2).join('_');
    const stored = JSON.stringify(store.database.prepare('SELECT * FROM api_tokens').all());
    expect(stored).not.toContain(secret);
    expect(tokens.verify(token)).toMatchObject({
      id: info.id,
      name: 'grafana',
      role: 'viewer',
      createdBy: 'alice',
    });
    expect(tokens.verify(`${token.slice(0, -1)}x`)).toBeNull();
    expect(tokens.verify(`fleet_000000000000_${'a'.repeat(43)}`)).toBeNull();
    tokens.revoke(info.id);
    expect(tokens.verify(token)).toBeNull();
    expect(tokens.list()[0]?.revokedAt).toEqual(clock.now());
    expect(() => tokens.revoke(info.id)).toThrow(`API token ${info.id} is revoked already.`);
  });

  it('notes when a token was last used, at most once a minute', () => {
    const { token, info } = tokens.create('script', 'operator', 'alice');
    expect(tokens.get(info.id)?.lastUsedAt).toBeNull();
    tokens.verify(token);
    const first = tokens.get(info.id)?.lastUsedAt;
    expect(first).toEqual(clock.now());
    clock.advance(30_000);
    tokens.verify(token);
    expect(tokens.get(info.id)?.lastUsedAt).toEqual(first);
    clock.advance(30_000);
    tokens.verify(token);
    expect(tokens.get(info.id)?.lastUsedAt).toEqual(clock.now());
  });
});

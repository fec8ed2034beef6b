import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { resolveAuth } from '../../src/access/auth-mode.js';
import { PgTokenStore } from '../../src/access/pg-token-store.js';
import { PgUserStore } from '../../src/access/pg-user-store.js';
import { UserError } from '../../src/access/user-store.js';
import { migrate } from '../../src/storage/postgres/migrations.js';
import { createPool } from '../../src/storage/postgres/pool.js';
import { capturingLogger, ManualClock, tempDir } from '../server/fixtures.js';
import { describeWithPostgres, postgresMissing } from '../support/postgres-server.js';

const missing = postgresMissing();

describeWithPostgres('PgUserStore and PgTokenStore on PostgreSQL', missing, (server) => {
  let url: string;
  let pool: pg.Pool;
  let clock: ManualClock;
  let users: PgUserStore;
  let tokens: PgTokenStore;
  beforeEach(async () => {
    url = await server().createDatabase();
    pool = createPool(url, 2);
    await migrate(pool, capturingLogger('info').logger);
    clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
    users = new PgUserStore(pool, clock);
    tokens = new PgTokenStore(pool, clock);
  });
  afterEach(async () => {
    await pool.end();
  });
  const rows = async (sql: string) => (await pool.query(sql)).rows;
  const addSession = (id: string, username: string) =>
    pool.query("INSERT INTO sessions (id, username, data, expires_at) VALUES ($1, $2, '{}', 0)", [
      id,
      username,
    ]);

  it('adds, verifies, lists and removes users; a removed user has no session left; another replica sees them', async () => {
    const added = await users.add('alice', 'operator', 'a long password');
    expect(added).toMatchObject({ username: 'alice', role: 'operator', mustChangePassword: false });
    expect(added.createdAt).toEqual(clock.now());
    expect(await users.total()).toBe(1);
    const otherPool = createPool(url, 1);
    try {
      const other = new PgUserStore(otherPool, clock);
      expect(await other.verify('alice', 'a long password')).toMatchObject({
        username: 'alice',
        role: 'operator',
      });
      expect(await other.verify('alice', 'wrong password')).toBeNull();
      expect(await other.verify('nobody', 'a long password')).toBeNull();
      await addSession('s1', 'alice');
      await addSession('s2', 'bob');
      await other.remove('alice');
    } finally {
      await otherPool.end();
    }
    expect(await users.list()).toEqual([]);
    expect(await users.get('alice')).toBeNull();
    expect(await rows('SELECT id FROM sessions')).toEqual([{ id: 's2' }]);
  });

  it('refuses a bad name, role or password, a name taken and an unknown user, each in one sentence, changing nothing', async () => {
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
    expect((await users.get('bob'))?.role).toBe('viewer');
    await expect(users.remove('carol')).rejects.toThrow('User "carol" does not exist.');
    await expect(users.setRole('carol', 'admin')).rejects.toThrow('User "carol" does not exist.');
    await expect(users.setPassword('carol', 'a long password')).rejects.toThrow(
      'User "carol" does not exist.',
    );
    expect(await users.total()).toBe(1);
  });

  it('changes a password and a role, ending the other sessions and keeping the one asked for', async () => {
    await users.add('alice', 'admin', 'first password', true);
    expect((await users.get('alice'))?.mustChangePassword).toBe(true);
    await addSession('s1', 'alice');
    await addSession('s2', 'alice');
    clock.advance(1000);
    await users.setPassword('alice', 'second password', { keepSession: 's1' });
    expect(await users.verify('alice', 'first password')).toBeNull();
    expect(await users.verify('alice', 'second password')).toMatchObject({ mustChangePassword: false });
    expect(await rows('SELECT id FROM sessions')).toEqual([{ id: 's1' }]);
    await users.setPassword('alice', 'third password', { mustChange: true, keepSession: null });
    expect(await rows('SELECT id FROM sessions')).toEqual([]);
    await users.setRole('alice', 'viewer');
    expect(await users.get('alice')).toMatchObject({ role: 'viewer', mustChangePassword: true });
  });

  it('makes API tokens whose secret is shown once, stored hashed, and refused once revoked', async () => {
    const { token, info } = await tokens.create('grafana', 'viewer', 'alice');
    expect(token).toMatch(/^fleet_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const secret = token.split('_').slice(2).join('_');
    expect(JSON.stringify(await rows('SELECT * FROM api_tokens'))).not.toContain(secret);
    expect(await tokens.verify(token)).toMatchObject({
      id: info.id,
      name: 'grafana',
      role: 'viewer',
      createdBy: 'alice',
    });
    expect(await tokens.verify(`${token.slice(0, -1)}x`)).toBeNull();
    expect(await tokens.verify(`fleet_000000000000_${'a'.repeat(43)}`)).toBeNull();
    await tokens.revoke(info.id);
    expect(await tokens.verify(token)).toBeNull();
    expect((await tokens.list())[0]?.revokedAt).toEqual(clock.now());
    await expect(tokens.revoke(info.id)).rejects.toThrow(`API token ${info.id} is revoked already.`);
    await expect(tokens.revoke('nope')).rejects.toThrow('API token "nope" does not exist.');
    await expect(tokens.create('bad\nname', 'viewer', 'alice')).rejects.toThrow(/^Token name "bad\\nname"/);
    expect(await tokens.list()).toHaveLength(1);
  });

  it('notes when a token was last used, at most once a minute', async () => {
    const { token, info } = await tokens.create('script', 'operator', 'alice');
    expect((await tokens.get(info.id))?.lastUsedAt).toBeNull();
    await tokens.verify(token);
    const first = (await tokens.get(info.id))?.lastUsedAt;
    expect(first).toEqual(clock.now());
    clock.advance(30_000);
    await tokens.verify(token);
    expect((await tokens.get(info.id))?.lastUsedAt).toEqual(first);
    clock.advance(30_000);
    await tokens.verify(token);
    expect((await tokens.get(info.id))?.lastUsedAt).toEqual(clock.now());
  });

  it.each([
    ['DASHBOARD_ADMIN_PASSWORD', 'the admin password' as string | null],
    ['a generated password', null],
  ])(
    'two replicas starting at once on an empty database make one first admin between them (%s)',
    async (_, adminPassword) => {
      const dir = await tempDir();
      try {
        const logs = [capturingLogger('info'), capturingLogger('info')];
        const decisions = await Promise.all(
          logs.map(({ logger }, i) =>
            resolveAuth({
              setting: 'on',
              host: '0.0.0.0',
              users: new PgUserStore(pool, clock),
              adminUser: 'admin',
              adminPassword,
              dataDir: join(dir.path),
              logger,
            }).then((decision) => ({ decision, i })),
          ),
        );
        expect(decisions.map(({ decision }) => decision.mode)).toEqual(['on', 'on']);
        const made = logs.map(
          ({ lines }) => lines.filter((l) => String(l.msg).startsWith('First admin made:')).length,
        );
        const waived = logs.map(
          ({ lines }) =>
            lines.filter((l) => String(l.msg).includes('made by another replica meanwhile')).length,
        );
        expect([made.sort(), waived.sort()]).toEqual([
          [0, 1],
          [0, 1],
        ]);
        expect(await users.list()).toEqual([expect.objectContaining({ username: 'admin', role: 'admin' })]);
        expect(existsSync(join(dir.path, 'initial-admin.env'))).toBe(adminPassword === null);
      } finally {
        await dir.remove();
      }
    },
  );
});

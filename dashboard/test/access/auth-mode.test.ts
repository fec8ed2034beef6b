import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { INITIAL_ADMIN_FILE, isLoopbackHost, resolveAuth, UserStore } from '@fleet/dashboard';
import { parseEnvFile } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TelemetryStore } from '../../src/storage/telemetry-store.js';
import { capturingLogger, ManualClock, openStore, tempDir } from '../server/fixtures.js';

describe('AUTH=auto|on|off', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  let users: UserStore;
  let log: ReturnType<typeof capturingLogger>;
  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
    users = new UserStore(store.database, new ManualClock(Date.parse('2026-12-01T10:00:00Z')));
    log = capturingLogger('info');
  });
  afterEach(async () => {
    store.close();
    await dir.remove();
  });
  const resolve = (setting: 'auto' | 'on' | 'off', host: string, adminPassword: string | null = null) =>
    resolveAuth({
      setting,
      host,
      users,
      adminUser: 'admin',
      adminPassword,
      dataDir: dir.path,
      logger: log.logger,
    });
  const file = () => join(dir.path, INITIAL_ADMIN_FILE);

  it.each(['127.0.0.1', '127.0.0.53', '::1', '[::1]', 'localhost', 'LOCALHOST'])(
    'takes %s as loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
    },
  );
  it.each(['0.0.0.0', '::', '192.168.1.20', 'dashboard', '128.0.0.1'])(
    'does not take %s as loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );

  it('off: no logins, and a warning at every start', async () => {
    await users.add('alice', 'admin', 'a long password');
    expect(await resolve('off', '0.0.0.0')).toEqual({ mode: 'off', reason: 'AUTH=off' });
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'Logins are off (AUTH=off): anyone who reaches this dashboard sees everything and sends any command. Set AUTH=auto or on unless only trusted people can reach it.',
      }),
    ]);
  });

  it('auto with no user on a loopback HOST: no logins, a warning that it is for this machine only, nobody made', async () => {
    expect(await resolve('auto', '127.0.0.1')).toEqual({
      mode: 'off',
      reason: 'AUTH=auto, no user, loopback HOST 127.0.0.1',
    });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({
      level: 40,
      msg: expect.stringContaining('it is for this machine only'),
    });
    expect(users.count).toBe(0);
  });

  it('auto with a user: logins on, whatever the HOST', async () => {
    await users.add('alice', 'viewer', 'a long password');
    expect(await resolve('auto', '127.0.0.1')).toEqual({ mode: 'on', reason: 'AUTH=auto, users exist' });
    expect(log.lines).toEqual([]);
  });

  it('auto with no user on another HOST: the first admin with a generated password, logged once, in a 600 file, to change at first login', async () => {
    expect(await resolve('auto', '0.0.0.0')).toEqual({
      mode: 'on',
      reason: 'AUTH=auto, HOST 0.0.0.0 is not loopback, first admin made',
    });
    const lines = parseEnvFile(await readFile(file(), 'utf8'), file());
    expect(Object.keys(lines)).toEqual(['DASHBOARD_USER', 'DASHBOARD_PASSWORD']);
    expect(lines.DASHBOARD_USER).toBe('admin');
    const password = lines.DASHBOARD_PASSWORD as string;
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await stat(file())).mode & 0o777).toBe(0o600);
    expect(await users.verify('admin', password)).toMatchObject({ role: 'admin', mustChangePassword: true });
    const withPassword = log.lines.filter((line) => JSON.stringify(line).includes(password));
    expect(withPassword).toEqual([
      expect.objectContaining({
        level: 40,
        username: 'admin',
        msg: `First admin made: user "admin", password ${password} (generated; shown this once; kept in ${file()}). Log in and change it: the dashboard asks for a new one first.`,
      }),
    ]);
    // A second start has a user: nothing is made or logged again.
    log.lines.length = 0;
    expect((await resolve('auto', '0.0.0.0')).mode).toBe('on');
    expect(log.lines).toEqual([]);
  });

  it('on with DASHBOARD_ADMIN_PASSWORD: that password, never logged, no file, no forced change; even on loopback', async () => {
    expect((await resolve('on', '127.0.0.1', 'the admin password')).mode).toBe('on');
    expect(await users.verify('admin', 'the admin password')).toMatchObject({ mustChangePassword: false });
    expect(JSON.stringify(log.lines)).not.toContain('the admin password');
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'First admin made: user "admin" with the password of DASHBOARD_ADMIN_PASSWORD.',
      }),
    ]);
    await expect(stat(file())).rejects.toThrow(/ENOENT/);
  });
});

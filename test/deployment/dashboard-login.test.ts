import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvFile } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dashboardLogin } from '../../cloud/src/local/dashboard-login.js';

describe('the login of the npm start dashboard', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dashboard-login-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('with --secure: logins on, the admin login in DIR/secure/admin.env (0600), the same at the next run', async () => {
    const first = await dashboardLogin({ secure: true, host: '127.0.0.1', dataDir: dir });
    const path = join(dir, 'secure', 'admin.env');
    const file = parseEnvFile(await readFile(path, 'utf8'), path);
    expect(file.DASHBOARD_USER).toBe('admin');
    expect(file.DASHBOARD_PASSWORD).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(first.variables).toEqual({
      AUTH: 'on',
      DASHBOARD_ADMIN_USER: 'admin',
      DASHBOARD_ADMIN_PASSWORD: file.DASHBOARD_PASSWORD,
    });
    expect(first.banner).toBe(`Login        admin, password in ${path}`);
    expect(await dashboardLogin({ secure: true, host: '127.0.0.1', dataDir: dir })).toEqual(first);
  });

  it('without --secure: the dashboard decides, and the banner says what that is', async () => {
    const local = await dashboardLogin({ secure: false, host: '127.0.0.1', dataDir: dir });
    expect(local.variables).toEqual({});
    expect(local.banner).toContain('none: the dashboard listens on this machine only (127.0.0.1)');
    const open = await dashboardLogin({ secure: false, host: '0.0.0.0', dataDir: dir });
    expect(open.banner).toContain(`in its log and ${join(dir, 'dashboard', 'initial-admin.env')}`);
  });
});

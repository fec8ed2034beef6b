import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { freePort } from '@fleet/cloud';
import { loadDashboardConfig, type RunningDashboard, startDashboard } from '@fleet/dashboard';
import { parseEnvFile } from '@fleet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { capturingLogger, tempDir } from '../server/fixtures.js';

describe('the first admin, from start to a changed password', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let running: RunningDashboard | null = null;
  afterEach(async () => {
    await running?.stop();
    running = null;
    await dir?.remove();
  });

  it('AUTH=auto on 0.0.0.0 with no user: the start-up line says logins on; the generated password works once and must be changed, and its file goes', async () => {
    dir = await tempDir();
    const port = await freePort();
    const config = loadDashboardConfig({
      PORT: String(port),
      HOST: '0.0.0.0',
      MQTT_BROKER: '127.0.0.1',
      MQTT_PORT: '1',
      DATA_DIR: `${dir.path}/data`,
    });
    const { logger, lines } = capturingLogger('info');
    running = await startDashboard(config, { logger });
    const started = lines.find((line) => String(line.msg).startsWith('Dashboard listening on'));
    expect(started).toMatchObject({
      auth: 'on',
      users: 1,
      https: false,
      trust_proxy: false,
      msg: expect.stringContaining(
        '; logins on (AUTH=auto, HOST 0.0.0.0 is not loopback, first admin made; 1 user); plain HTTP; trust proxy: no proxy trusted (X-Forwarded-* ignored); MQTT broker',
      ),
    });
    const file = `${dir.path}/data/initial-admin.env`;
    const { DASHBOARD_USER, DASHBOARD_PASSWORD } = parseEnvFile(await readFile(file, 'utf8'), file);
    expect(lines.filter((line) => JSON.stringify(line).includes(DASHBOARD_PASSWORD as string))).toHaveLength(
      1,
    );

    const base = `http://127.0.0.1:${port}`;
    const json = { 'content-type': 'application/json' };
    expect((await fetch(`${base}/api/data`)).status).toBe(401);
    const login = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: DASHBOARD_USER, password: DASHBOARD_PASSWORD }),
    });
    expect(login.status).toBe(204);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect((await fetch(`${base}/api/data`, { headers: { cookie } })).status).toBe(403);
    const changed = await fetch(`${base}/api/me/password`, {
      method: 'POST',
      headers: { ...json, cookie },
      body: JSON.stringify({ current_password: DASHBOARD_PASSWORD, new_password: 'my own admin password' }),
    });
    expect(changed.status).toBe(204);
    expect((await fetch(`${base}/api/data`, { headers: { cookie } })).status).toBe(200);
    expect(existsSync(file)).toBe(false);
    expect(
      lines.filter((line) => line.msg === 'Password changed; the other sessions of the user are ended'),
    ).toEqual([expect.objectContaining({ username: 'admin', address: '127.0.0.1' })]);

    // A restart on the same data: logins on, nobody made, no password in the log.
    await running.stop();
    lines.length = 0;
    running = await startDashboard(config, { logger });
    expect(lines.find((line) => String(line.msg).startsWith('Dashboard listening on'))?.msg).toContain(
      'logins on (AUTH=auto, users exist; 1 user)',
    );
    expect(lines.some((line) => String(line.msg).startsWith('First admin made'))).toBe(false);
  });
});

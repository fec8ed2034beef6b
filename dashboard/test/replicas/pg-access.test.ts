import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { systemClock } from '@fleet/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAccess } from '../../src/cli/run.js';
import { DashboardProcess, drillSkipReason } from '../drills/drill-kit.js';
import { tempDir } from '../server/fixtures.js';
import { postgresMissing, startTestPostgres, type TestPostgres } from '../support/postgres-server.js';

const missing = postgresMissing();
const skip = missing ?? drillSkipReason('the replicas sharing logins on PostgreSQL');
const ADMIN_PASSWORD = 'the admin password';
const json = { 'content-type': 'application/json' };

/** Collects what a stream is written. */
function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * Two dashboard processes, each with its own data folder (its own SQLite file), on one PostgreSQL database
 * (DATABASE_URL), as replicas on two machines behind a load balancer: a login, a logout and a token made on
 * one hold on the other, and `fleet user` with DATABASE_URL reaches them both.
 */
describe('replicas on PostgreSQL share users, tokens and sessions', () => {
  if (skip) {
    if (missing) console.warn(`SKIPPED: replicas sharing logins on PostgreSQL: ${missing}`);
    it.skip(`skipped: ${skip}`, () => {});
    return;
  }
  let server: TestPostgres;
  let url: string;
  let broker: BrokerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let a: DashboardProcess;
  let b: DashboardProcess;
  beforeAll(async () => {
    server = await startTestPostgres();
    url = await server.createDatabase();
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await tempDir();
    const env = {
      DATABASE_URL: url,
      MQTT_SHARE_GROUP: 'dashboards',
      AUTH: 'on',
      DASHBOARD_ADMIN_USER: 'ada',
      DASHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    };
    a = new DashboardProcess(broker, join(dir.path, 'a'), env);
    b = new DashboardProcess(broker, join(dir.path, 'b'), env);
    // One after the other: the first makes the admin in PostgreSQL, the second finds a user there.
    await a.start();
    await b.start();
  }, 90_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await broker?.stop();
    await server?.stop();
    await dir?.remove();
  });

  const login = async (replica: DashboardProcess, username: string, password: string) => {
    const response = await fetch(`${replica.base}/api/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username, password }),
    });
    expect(response.status).toBe(204);
    return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
  };
  const status = async (replica: DashboardProcess, path: string, headers: Record<string, string>) =>
    (await fetch(`${replica.base}${path}`, { headers })).status;

  it('says at start that users, tokens and sessions are in PostgreSQL; one admin made, by the first replica', () => {
    for (const replica of [a, b]) {
      const started = replica.lines.find((line) => line.includes('Dashboard listening'));
      expect(started).toContain('"access_database":"postgresql"');
      expect(started).toContain('users, tokens and sessions in PostgreSQL');
    }
    expect(a.lines.filter((line) => line.includes('First admin made'))).toHaveLength(1);
    expect(b.lines.filter((line) => line.includes('First admin made'))).toHaveLength(0);
    expect(b.lines.find((line) => line.includes('Dashboard listening'))).toContain('"users":1');
  });

  it('a login on A holds on B; a logout on B ends it on A', async () => {
    const cookie = await login(a, 'ada', ADMIN_PASSWORD);
    expect(await status(b, '/api/me', { cookie })).toBe(200);
    expect(await status(a, '/api/me', { cookie })).toBe(200);
    const logout = await fetch(`${b.base}/api/logout`, { method: 'POST', headers: { cookie } });
    expect(logout.status).toBe(204);
    expect(await status(a, '/api/me', { cookie })).toBe(401);
    expect(await status(b, '/api/me', { cookie })).toBe(401);
  });

  it('a token made on A works on B, and revoked on B it is refused on A', async () => {
    const cookie = await login(a, 'ada', ADMIN_PASSWORD);
    const made = await fetch(`${a.base}/api/tokens`, {
      method: 'POST',
      headers: { ...json, cookie },
      body: JSON.stringify({ name: 'grafana', role: 'viewer' }),
    });
    expect(made.status).toBe(201);
    const { token, info } = (await made.json()) as { token: string; info: { id: string } };
    const bearer = { authorization: `Bearer ${token}` };
    expect(await status(b, '/api/data', bearer)).toBe(200);
    const revoked = await fetch(`${b.base}/api/tokens/${info.id}`, { method: 'DELETE', headers: { cookie } });
    expect(revoked.status).toBe(204);
    expect(await status(a, '/api/data', bearer)).toBe(401);
  });

  it('`fleet user add` with DATABASE_URL makes a user who logs in on both replicas; `user remove` ends it on both', async () => {
    const out = sink();
    const err = sink();
    const io = {
      stdout: out.stream,
      stderr: err.stream,
      stdin: { isTTY: false, readAll: async () => 'olivia password\n' },
      clock: systemClock,
    };
    // The data folder given holds no SQLite file: with DATABASE_URL it is not used.
    const added = await runAccess(
      ['--data-dir', join(dir.path, 'nowhere'), 'user', 'add', 'olivia', '--role', 'operator'],
      io,
      '.data/dashboard',
      url,
    );
    expect([added, err.text()]).toEqual([0, expect.stringContaining('olivia')]);
    const cookie = await login(b, 'olivia', 'olivia password');
    expect(await status(a, '/api/me', { cookie })).toBe(200);
    const removed = await runAccess(['user', 'remove', 'olivia'], io, '.data/dashboard', url);
    expect(removed).toBe(0);
    expect(await status(a, '/api/me', { cookie })).toBe(401);
    expect(await status(b, '/api/me', { cookie })).toBe(401);
  });

  it('`fleet user list` with a DATABASE_URL it cannot reach says so in one sentence, password masked, and exits 1', async () => {
    const out = sink();
    const err = sink();
    const io = {
      stdout: out.stream,
      stderr: err.stream,
      stdin: { isTTY: true, readAll: async () => '' },
      clock: systemClock,
    };
    const bad = 'postgres://fleet:s3cret-word@127.0.0.1:1/fleet';
    expect(await runAccess(['user', 'list'], io, '.data/dashboard', bad)).toBe(1);
    expect(err.text()).toMatch(
      /^Could not open the PostgreSQL database postgres:\/\/fleet:\*\*\*@127\.0\.0\.1:1\/fleet \(DATABASE_URL\): .+\n$/,
    );
    expect(err.text()).not.toContain('s3cret-word');
    expect(out.text()).toBe('');
  });
});

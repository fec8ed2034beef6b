import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { systemClock, Topics } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAccess } from '../../src/cli/run.js';
import { DashboardProcess, drillSkipReason } from '../drills/drill-kit.js';
import { ack, eventually, onlineStatus, tempDir } from '../server/fixtures.js';
import { describeWithPostgres, postgresMissing } from '../support/postgres-server.js';

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

/** The text a stream of Server-Sent Events has sent so far, read in the background until `close()`. */
async function eventText(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { ...headers, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  let text = '';
  const decoder = new TextDecoder();
  void (async () => {
    const reader = response.body?.getReader();
    for (;;) {
      const chunk = await reader?.read().catch(() => ({ done: true, value: undefined }));
      if (!chunk || chunk.done) return;
      text += decoder.decode(chunk.value, { stream: true });
    }
  })();
  return { text: () => text, close: () => controller.abort() };
}

/**
 * Two dashboard processes, each with its own data folder (its own SQLite file), on one PostgreSQL database
 * (DATABASE_URL), as replicas on two machines behind a load balancer: a login, a logout and a token made on
 * one hold on the other, and `fleet user` with DATABASE_URL reaches them both; a command sent through one is
 * in the other's trail with its outcome, a device forgotten through one leaves the other's list, and failed
 * logins on both count together.
 */
describeWithPostgres(
  'replicas on PostgreSQL share users, tokens, sessions, the command trail, forgotten devices and failed logins',
  skip,
  (server) => {
    let url: string;
    let broker: BrokerHandle;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let a: DashboardProcess;
    let b: DashboardProcess;
    beforeAll(async () => {
      url = await server().createDatabase();
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
      const revoked = await fetch(`${b.base}/api/tokens/${info.id}`, {
        method: 'DELETE',
        headers: { cookie },
      });
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

    describe('with a device answering commands', () => {
      const topics = new Topics();
      let device: MqttClient;
      beforeAll(async () => {
        device = await mqtt.connectAsync(broker.url, { clientId: `device-${Date.now()}` });
        await device.subscribeAsync(topics.commands('pi-1'), { qos: 1 });
        device.on('message', (_topic, payload) => {
          const command = JSON.parse(payload.toString()) as { command_id: string };
          void device.publishAsync(topics.ack('pi-1'), JSON.stringify(ack('pi-1', command.command_id)), {
            qos: 1,
          });
        });
        for (const id of ['pi-1', 'pi-2']) {
          await device.publishAsync(topics.status(id), JSON.stringify(onlineStatus(id, { v: 2 })), {
            qos: 1,
          });
        }
      });
      afterAll(async () => {
        await device?.endAsync();
      });
      const devices = async (replica: DashboardProcess, cookie: string) =>
        (
          (await (await fetch(`${replica.base}/api/devices`, { headers: { cookie } })).json()) as {
            devices: Array<{ device_id: string }>;
          }
        ).devices.map((d) => d.device_id);

      it('a command sent through A is in B’s trail, applied; B announces its answer to its event stream', async () => {
        const cookie = await login(a, 'ada', ADMIN_PASSWORD);
        for (const replica of [a, b]) {
          await eventually(
            async () => (await devices(replica, cookie)).includes('pi-1'),
            10_000,
            'pi-1 known',
          );
        }
        const stream = await eventText(`${b.base}/api/events?device=pi-1&fleet=none`, { cookie });
        try {
          const sent = await fetch(`${a.base}/api/command?wait=10`, {
            method: 'POST',
            headers: { ...json, cookie },
            body: JSON.stringify({ device_id: 'pi-1', read_now: true, command_id: 'from-a-1' }),
          });
          expect(sent.status).toBe(200);
          const onB = async () =>
            (
              (await (
                await fetch(`${b.base}/api/devices/pi-1/commands`, { headers: { cookie } })
              ).json()) as {
                commands: Array<{ command_id: string; outcome: string; by: { name: string } }>;
              }
            ).commands;
          await eventually(async () => (await onB())[0]?.outcome === 'applied', 10_000, 'applied on B');
          expect(await onB()).toEqual([
            expect.objectContaining({
              command_id: 'from-a-1',
              outcome: 'applied',
              by: { name: 'ada', kind: 'user' },
            }),
          ]);
          await eventually(
            () =>
              /event: command\ndata: \{[^\n]*"command_id":"from-a-1"[^\n]*"outcome":"applied"/.test(
                stream.text(),
              ),
            10_000,
            () => `the answer in B's event stream: ${stream.text().slice(-300)}`,
          );
          // The id is taken on every replica.
          const again = await fetch(`${b.base}/api/command`, {
            method: 'POST',
            headers: { ...json, cookie },
            body: JSON.stringify({ device_id: 'pi-1', read_now: true, command_id: 'from-a-1' }),
          });
          expect(again.status).toBe(409);
        } finally {
          stream.close();
        }
      });

      it('a device forgotten through A leaves B’s list within seconds, without a restart', async () => {
        const cookie = await login(a, 'ada', ADMIN_PASSWORD);
        await eventually(async () => (await devices(b, cookie)).includes('pi-2'), 10_000, 'pi-2 known on B');
        const forgotten = await fetch(`${a.base}/api/devices/pi-2`, {
          method: 'DELETE',
          headers: { cookie },
        });
        expect(forgotten.status).toBe(204);
        expect(await devices(a, cookie)).not.toContain('pi-2');
        await eventually(
          async () => !(await devices(b, cookie)).includes('pi-2'),
          15_000,
          'pi-2 gone from B',
        );
        expect(b.lines.some((line) => line.includes('Device forgotten through another replica'))).toBe(true);
      });
    });

    it('failed logins on A and B count together: the tenth, on either, locks the name on both', async () => {
      const wrong = (replica: DashboardProcess) =>
        fetch(`${replica.base}/api/login`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ username: 'eve', password: 'not the password' }),
        });
      for (let i = 0; i < 9; i++) expect((await wrong(i % 2 === 0 ? a : b)).status).toBe(401);
      expect((await wrong(b)).status).toBe(401);
      for (const replica of [a, b]) {
        const locked = await wrong(replica);
        expect(locked.status).toBe(429);
        expect(locked.headers.get('retry-after')).toMatch(/^(59|60)$/);
      }
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
  },
);

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { freePort, hasMosquitto, MOSQUITTO_BINARY } from '@fleet/cloud';
import { parseEnvFile, parseTelemetry } from '@fleet/shared';
import type { IClientOptions } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runFleet } from '../../cloud/src/fleet/cli.js';
import { isPortFree, LaunchError } from '../../cloud/src/local/ports.js';
import { startSecureFleetBroker } from '../../cloud/src/local/secure-broker.js';
import { connectClient, endClients, openClient } from '../../cloud/test/mqtt-helpers.js';
import { decodeCa, modeOf, readEnv } from '../../cloud/test/secure-helpers.js';
import {
  childPids,
  cleanUpLaunched,
  collectLines,
  type DeviceSummary,
  fetchDevices,
  isAlive,
  type Launched,
  launch,
  launcherEnv,
  launcherLog,
  login,
  missingBuilds,
  pollUntil,
  removeLater,
  withTimeout,
} from './helpers/launcher.js';
import { repoRoot } from './helpers/repo.js';

const mosquittoInstalled = hasMosquitto();
if (!mosquittoInstalled) {
  console.warn(
    `SKIPPED: npm start -- --secure needs Debian's broker at ${MOSQUITTO_BINARY} (apt-get install mosquitto).`,
  );
}
const missing = missingBuilds();
const skipReason = missing.length > 0 ? ` (skipped: ${missing.join(', ')} not built; run npm run build)` : '';

const SIMULATED = ['sim-001', 'sim-002', 'sim-003'];
/** A temperature the synthetic sensor never gives, and a seq no device reaches in a test. */
const FORGED_TEMPERATURE = 99.9;
const MARK_SEQ = 2_000_000_000;

const edges: ChildProcess[] = [];
afterEach(async () => {
  await endClients();
  for (const edge of edges.splice(0)) if (edge.exitCode === null) edge.kill('SIGKILL');
  await cleanUpLaunched();
});

/** A valid reading of `id` (so only the broker can keep it from the dashboard). */
function reading(id: string, seq: number): string {
  const payload = JSON.stringify({
    device_id: id,
    timestamp: new Date().toISOString(),
    temperature: FORGED_TEMPERATURE,
    humidite: 50,
    pression: 1013,
    batterie: 90,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: true,
    uptime: 1,
    seq,
    source: 'synthetic',
  });
  expect(parseTelemetry(payload).ok).toBe(true);
  return payload;
}

/** How the broker turns a client away: its CONNACK refusal, a connection error, or a bare close. */
function refusal(url: string, options: IClientOptions): Promise<string> {
  return new Promise((resolve) => {
    const client = openClient(url, options);
    client.once('connect', () => resolve('connected'));
    client.once('error', (error) => resolve(error.message));
    client.once('close', () => resolve('connection closed'));
  });
}

/** `npm run fleet -- …` in this process, with its output. */
async function fleet(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk) => out.push(String(chunk)));
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const code = await runFleet(argv, { stdout, stderr, env: {} });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

async function history(
  port: number,
  id: string,
  session: Record<string, string>,
): Promise<DeviceSummary['latest'][]> {
  const response = await fetch(`http://127.0.0.1:${port}/api/devices/${id}/history`, { headers: session });
  return ((await response.json()) as { history: DeviceSummary['latest'][] }).history;
}

/** Waits until each of `ids` is online with a reading taken after `since`; returns the devices then. */
function untilLive(
  port: number,
  ids: string[],
  since: number,
  session: Record<string, string>,
): Promise<DeviceSummary[]> {
  const live = (device: DeviceSummary | undefined) =>
    device?.online === true && Date.parse(device.latest?.timestamp ?? '') > since;
  return pollUntil(
    () => fetchDevices(port, session),
    (devices) => ids.every((id) => live(devices.find((device) => device.device_id === id))),
    30_000,
  );
}

function liveIds(devices: DeviceSummary[], since: number): string[] {
  return devices
    .filter((device) => device.online && Date.parse(device.latest?.timestamp ?? '') > since)
    .map((device) => device.device_id)
    .sort();
}

async function stopWithSigint(launched: Launched): Promise<void> {
  const pids = [...childPids(launched.stdout).values()];
  launched.process.kill('SIGINT');
  const exit = await withTimeout(launched.exited, 20_000, 'the launcher exit after SIGINT');
  expect(exit, launcherLog(launched)).toEqual({ code: 0, signal: null });
  expect(pids.filter(isAlive)).toEqual([]);
}

describe('npm start -- --secure', () => {
  it('says in one sentence how to install Mosquitto when it is missing, and writes nothing', async () => {
    const dataDir = join(tmpdir(), `fleet-secure-never-${process.pid}`);
    await expect(
      startSecureFleetBroker({
        hostnames: [],
        topicRoot: 'devices',
        dataDir,
        port: 8883,
        deviceIds: ['sim-001'],
        logger: pino({ level: 'silent' }),
        onLine: () => undefined,
        onUnexpectedExit: () => undefined,
        binary: '/nonexistent/mosquitto',
      }),
    ).rejects.toThrow(
      new LaunchError(
        "npm start -- --secure runs Debian's Mosquitto from /nonexistent/mosquitto, which is not installed; install it with: sudo apt-get install mosquitto.",
      ),
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it.skipIf(!mosquittoInstalled || missing.length > 0)(
    `runs the production broker with a credential per device, refuses the rest, manages devices with npm run fleet, stops on SIGINT and starts again on the same folder${skipReason}`,
    async () => {
      const dataDir = removeLater(await mkdtemp(join(tmpdir(), 'fleet-secure-')));
      await chmod(dataDir, 0o755); // Mosquitto started as root runs as its own user, which must enter it.
      const httpPort = await freePort();
      let mqttPort = await freePort();
      while (mqttPort === httpPort) mqttPort = await freePort();
      const args = ['--secure', '--devices', '3', '--data-dir', dataDir];
      args.push('--port', String(httpPort), '--mqtt-port', String(mqttPort));
      // The shell's MQTT_* must not reach the children: with these, no device could log in.
      const env = launcherEnv({
        PUBLISH_INTERVAL: '1',
        MQTT_USERNAME: 'intruder',
        MQTT_PASSWORD: 'wrong',
        MQTT_TLS: 'false',
      });
      const firstStart = Date.now();
      const first = launch(args, env);

      // A login page, and the admin login of DIR/secure/admin.env opens the dashboard.
      const adminEnv = join(dataDir, 'secure', 'admin.env');
      const admin = await pollUntil(
        async () => (await readEnv(adminEnv).catch(() => null)) ?? {},
        (variables) => Boolean(variables.DASHBOARD_PASSWORD),
        20_000,
      );
      expect(await modeOf(adminEnv)).toBe(0o600);
      const session = await pollUntil(
        () => login(httpPort, admin.DASHBOARD_USER ?? '', admin.DASHBOARD_PASSWORD ?? ''),
        (headers) => headers !== null,
        20_000,
      );
      expect(session, launcherLog(first)).not.toBeNull();
      const sessionHeaders = session ?? {};
      expect((await fetch(`http://127.0.0.1:${httpPort}/api/devices`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${httpPort}/`)).status).toBe(200);
      expect(await login(httpPort, 'admin', 'not the password')).toBeNull();

      // The three devices, live in one dashboard.
      const devices = await untilLive(httpPort, SIMULATED, firstStart, sessionHeaders);
      expect(liveIds(devices, firstStart), launcherLog(first)).toEqual(SIMULATED);
      expect(first.stdout).toContain(
        `  MQTT broker  mqtts://localhost:${mqttPort} (Mosquitto, production profile: TLS, a credential per device)`,
      );
      expect(first.stdout).toContain(`  CA           ${dataDir}/secure/ca.crt`);
      expect(first.stdout).toContain(`  Login        admin, password in ${adminEnv}`);
      expect(first.stdout).toContain(`  New device   npm run fleet -- --data-dir ${dataDir} device add <id>`);

      // What a client needs, in the data folder: the CA, and one env file per device.
      const caPem = await readFile(join(dataDir, 'secure', 'ca.crt'), 'utf8');
      const envPath = (id: string) => join(dataDir, 'secure', 'devices', `${id}.env`);
      const credentials = new Map<string, string>();
      for (const id of SIMULATED) {
        expect(await modeOf(envPath(id))).toBe(0o600);
        const variables = await readEnv(envPath(id));
        expect(variables).toMatchObject({
          MQTT_BROKER: 'localhost',
          MQTT_PORT: String(mqttPort),
          MQTT_TLS: 'true',
          DEVICE_ID: id,
          MQTT_USERNAME: id,
        });
        expect(decodeCa(variables.MQTT_CA_CERT)).toBe(caPem);
        expect(variables.MQTT_PASSWORD).toMatch(/^\S{20,}$/);
        credentials.set(id, variables.MQTT_PASSWORD ?? '');
      }

      // No login, or no TLS: turned away.
      const url = `mqtts://localhost:${mqttPort}`;
      expect(await refusal(url, { ca: caPem })).toMatch(/not authori[sz]ed/i);
      expect(await refusal(`mqtt://127.0.0.1:${mqttPort}`, {})).not.toBe('connected');

      // sim-001's credential (bound to client id edge-sim-001: it takes the running sim-001's place for a
      // moment) cannot publish as sim-002: a PUBACK "not authorized", and Mosquitto hangs up. A reading on its
      // own topic follows once that PUBACK is in: Mosquitto handles one packet at a time, so once the
      // dashboard has that reading, it has anything the broker let through before it.
      const asSim001 = () =>
        connectClient(url, {
          ca: caPem,
          username: 'sim-001',
          password: credentials.get('sim-001'),
          clientId: 'edge-sim-001',
          protocolVersion: 5,
        });
      const intruder = await asSim001();
      await expect(
        intruder.publishAsync('devices/sim-002/data', reading('sim-002', MARK_SEQ), { qos: 1 }),
      ).rejects.toThrow(/not authorized/i);
      const own = await asSim001();
      await own.publishAsync('devices/sim-001/data', reading('sim-001', MARK_SEQ), { qos: 1 });
      await own.endAsync();
      const marked = await pollUntil(
        () => history(httpPort, 'sim-001', sessionHeaders),
        (readings) => readings.some((entry) => entry?.seq === MARK_SEQ),
        10_000,
      );
      expect(marked.some((entry) => entry?.seq === MARK_SEQ)).toBe(true);
      const sim002 = await history(httpPort, 'sim-002', sessionHeaders);
      expect(sim002.length).toBeGreaterThan(0);
      expect(sim002.filter((entry) => entry?.temperature === FORGED_TEMPERATURE)).toEqual([]);
      const sim002Now = (await fetchDevices(httpPort, sessionHeaders)).find(
        (device) => device.device_id === 'sim-002',
      );
      expect(sim002Now?.latest?.temperature).not.toBe(FORGED_TEMPERATURE);

      // A device added while it runs, started by hand with the printed lines, shows up; removed, it goes offline.
      const added = await fleet(['--data-dir', dataDir, 'device', 'add', 'lab-7']);
      expect(added.code, added.stderr).toBe(0);
      const lab7 = parseEnvFile(added.stdout, 'device add');
      expect(lab7).toMatchObject({
        MQTT_BROKER: 'localhost',
        MQTT_PORT: String(mqttPort),
        MQTT_USERNAME: 'lab-7',
      });
      const edgeOutput: string[] = [];
      const edge = spawn(process.execPath, ['edge/dist/main.js'], {
        cwd: repoRoot,
        env: {
          ...launcherEnv(),
          ...lab7,
          SENSOR: 'synthetic',
          DATA_DIR: join(dataDir, 'lab-7'),
          ALERT_LED_GPIO: 'none',
          PUBLISH_INTERVAL: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      edges.push(edge);
      collectLines(edge.stdout, edgeOutput);
      collectLines(edge.stderr, edgeOutput);
      const withLab7 = await untilLive(httpPort, ['lab-7'], firstStart, sessionHeaders);
      expect(liveIds(withLab7, firstStart), edgeOutput.join('\n')).toContain('lab-7');
      const removed = await fleet(['--data-dir', dataDir, 'device', 'remove', 'lab-7']);
      expect(removed.code, removed.stderr).toBe(0);
      const lab7Offline = (list: DeviceSummary[]) =>
        list.some((device) => device.device_id === 'lab-7' && !device.online);
      expect(
        lab7Offline(await pollUntil(() => fetchDevices(httpPort, sessionHeaders), lab7Offline, 10_000)),
      ).toBe(true);
      edge.kill('SIGTERM');

      await stopWithSigint(first);
      expect(await isPortFree(mqttPort, '0.0.0.0')).toBe(true); // Mosquitto is gone too.

      // Again on the same folder: the same credentials, the three devices live again.
      const secondStart = Date.now();
      const second = launch(args, env);
      // The same admin login (the user kept in the dashboard's database, the password in admin.env).
      const secondSession = await pollUntil(
        () => login(httpPort, admin.DASHBOARD_USER ?? '', admin.DASHBOARD_PASSWORD ?? ''),
        (headers) => headers !== null,
        20_000,
      );
      const again = await untilLive(httpPort, SIMULATED, secondStart, secondSession ?? {});
      expect(liveIds(again, secondStart), launcherLog(second)).toEqual(SIMULATED);
      for (const id of SIMULATED) {
        expect((await readEnv(envPath(id))).MQTT_PASSWORD).toBe(credentials.get(id));
      }
      const listed = await fleet(['--data-dir', dataDir, 'device', 'list']);
      expect(listed.stdout.split('\n').filter(Boolean)).toEqual(SIMULATED);
      await stopWithSigint(second);
    },
    120_000,
  );
});

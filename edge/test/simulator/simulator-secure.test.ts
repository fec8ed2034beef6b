import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasMosquitto, MOSQUITTO_BINARY, type SecureBrokerHandle, startSecureMosquitto } from '@fleet/cloud';
import { parseDeviceCredentials, parseEnvFile, parseTelemetry } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeProcess, spawnNode } from '../integration/support/edge-process.js';

const SIMULATOR_MAIN = fileURLToPath(new URL('../../dist/simulator/main.js', import.meta.url));
const FLEET_MAIN = fileURLToPath(new URL('../../../cloud/dist/fleet/main.js', import.meta.url));

const mosquittoInstalled = hasMosquitto();
if (!mosquittoInstalled) {
  console.warn(`SKIPPED: the simulator's secure broker test needs Debian's broker at ${MOSQUITTO_BINARY}.`);
}

/**
 * `node edge/dist/simulator/main.js` (what npm run simulate runs) against Mosquitto's production profile: TLS
 * and a credential per device, made by `fleet device add-many`, the broker's connection lines as ENV_FILE.
 */
describe.skipIf(!mosquittoInstalled)('npm run simulate against the production broker', () => {
  let broker: SecureBrokerHandle;
  let dir: string;
  let dashboard: MqttClient;
  let credentials: string;
  const received: Array<{ topic: string; text: string }> = [];
  const running: EdgeProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simulator-secure-'));
    await chmod(dir, 0o755);
    const dataDir = join(dir, 'broker-data');
    broker = await startSecureMosquitto({ dataDir, hostnames: ['localhost'] });
    credentials = join(dir, 'sim.csv');
    const made = spawnSync(
      process.execPath,
      [
        FLEET_MAIN,
        '--data-dir',
        dataDir,
        'device',
        'add-many',
        '--devices',
        '3',
        '--prefix',
        'tls-',
        '--out',
        credentials,
      ],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const dashboardEnv = parseEnvFile(await readFile(broker.dashboardEnvPath, 'utf8'), 'dashboard.env');
    dashboard = await mqtt.connectAsync({
      host: '127.0.0.1',
      port: broker.port,
      protocol: 'mqtts',
      ca: broker.caCertPem,
      servername: 'localhost',
      username: dashboardEnv.MQTT_USERNAME,
      password: dashboardEnv.MQTT_PASSWORD,
      reconnectPeriod: 0,
    });
    dashboard.on('message', (topic, payload) => received.push({ topic, text: String(payload) }));
    await dashboard.subscribeAsync(['devices/+/data', 'devices/+/availability'], { qos: 1 });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((simulator) => simulator.kill()));
  });
  afterAll(async () => {
    await dashboard?.endAsync();
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const simulate = (args: string[]) => {
    const simulator = spawnNode([SIMULATOR_MAIN, ...args], { ENV_FILE: broker.clientEnvPath });
    running.push(simulator);
    return simulator;
  };

  it('connects each device with its own credential over TLS, reports progress, and stops cleanly on SIGINT', async () => {
    const simulator = simulate([
      '--devices',
      '3',
      '--prefix',
      'tls-',
      '--interval',
      '1',
      '--report',
      '1',
      '--credentials',
      credentials,
    ]);
    await simulator.waitForLog(/^all 3 devices connected/, 15_000);
    const ids = ['tls-00001', 'tls-00002', 'tls-00003'];
    for (const id of ids) {
      await expect
        .poll(() => received.filter((m) => m.topic === `devices/${id}/data`).length, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(2);
    }
    const seqs = received
      .filter((m) => m.topic === 'devices/tls-00002/data')
      .map((m) => {
        const parsed = parseTelemetry(m.text);
        if (!parsed.ok) throw new Error(parsed.error);
        return parsed.value.seq;
      });
    expect(seqs).toEqual(seqs.map((_, index) => index));
    const progress = await simulator.waitForLine(
      (line) => line.connected === 3 && Number(line.readings_per_s) > 0,
    );
    expect(JSON.parse(progress)).toMatchObject({ devices: 3, problems: 0 });
    // The passwords are never logged.
    const password = parseDeviceCredentials(await readFile(credentials, 'utf8'), credentials).get(
      ids[0] ?? '',
    )?.password;
    expect(password).toBeTruthy();
    expect(simulator.lines.join('\n')).not.toContain(password);

    simulator.child.kill('SIGINT');
    expect(await simulator.exited).toEqual({ code: 0, signal: null });
    const summary = JSON.parse(await simulator.waitForLog(/^simulator stopped after/)) as Record<
      string,
      unknown
    >;
    expect(summary).toMatchObject({ devices: 3, connected: 0, problems: 0 });
    for (const id of ids) {
      expect(received.filter((m) => m.topic === `devices/${id}/availability`).at(-1)?.text).toBe('offline');
    }
  });

  it('refuses, in one line, a credentials file without a line for every device', async () => {
    const partial = join(dir, 'partial.csv');
    await writeFile(partial, (await readFile(credentials, 'utf8')).split('\n').slice(0, 3).join('\n'));
    const simulator = simulate(['--devices', '3', '--prefix', 'tls-', '--credentials', partial]);
    expect((await simulator.exited).code).toBe(1);
    expect(simulator.lines).toHaveLength(1);
    expect(JSON.parse(simulator.lines[0] ?? '{}').msg).toBe(
      `${partial} has no credential for device tls-00003; accepted: a line for each of tls-00001…tls-00003 (npm run fleet -- device add-many makes them).`,
    );
  });
});

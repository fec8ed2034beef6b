import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adminConnection,
  DynsecAdmin,
  hasMosquitto,
  MOSQUITTO_BINARY,
  type SecureBrokerHandle,
  startSecureMosquitto,
} from '@fleet/cloud';
import { formatEnvFile, parseEnvFile } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, type EdgeProcess, spawnEdge } from './support/edge-process.js';

const mosquittoInstalled = hasMosquitto();
if (!mosquittoInstalled) {
  console.warn(`SKIPPED: the secure broker tests of the edge need Debian's broker at ${MOSQUITTO_BINARY}.`);
}

interface LogLine {
  level: number;
  msg: string;
  retry_ms?: number;
}
const parsed = (edge: EdgeProcess): LogLine[] =>
  edge.lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });

/**
 * The compiled edge (`node edge/dist/main.js`) against Debian's Mosquitto running the production profile:
 * TLS only, a credential per device. Each device gets its lines the way a user does: what
 * `npm run fleet -- device add` prints, given to the edge as ENV_FILE.
 */
describe.skipIf(!mosquittoInstalled)('edge service against the production broker', () => {
  let broker: SecureBrokerHandle;
  let dir: string;
  let admin: DynsecAdmin;
  let dashboard: MqttClient;
  let client: Record<string, string>;
  const edges: EdgeProcess[] = [];
  const received: Array<{ topic: string; json: { seq?: number } }> = [];

  /** A credential for `id`, written as the env file a user would keep. */
  const provision = async (id: string, overrides: Record<string, string> = {}) => {
    const credential = await admin.addDevice(id);
    const path = join(dir, `${id}.env`);
    await writeFile(
      path,
      formatEnvFile({
        ...client,
        DEVICE_ID: id,
        MQTT_USERNAME: id,
        MQTT_PASSWORD: credential.password,
        ...overrides,
      }),
    );
    return path;
  };
  const start = (envFile: string, extra: Record<string, string> = {}) => {
    const edge = spawnEdge({
      ENV_FILE: envFile,
      SENSOR: 'synthetic',
      ALERT_LED_GPIO: 'none',
      PUBLISH_INTERVAL: '1',
      DATA_DIR: join(dir, `data-${edges.length}`),
      ...extra,
    });
    edges.push(edge);
    return edge;
  };
  const readings = (id: string) => received.filter((m) => m.topic === `devices/${id}/data`);

  beforeAll(async () => {
    assertBuilt();
    dir = await mkdtemp(join(tmpdir(), 'edge-secure-'));
    await chmod(dir, 0o755);
    broker = await startSecureMosquitto({ dataDir: join(dir, 'broker-data'), hostnames: ['localhost'] });
    admin = await DynsecAdmin.connect((await adminConnection(join(dir, 'broker-data'))).options);
    client = parseEnvFile(await readFile(broker.clientEnvPath, 'utf8'), broker.clientEnvPath);
    const dashboardEnv = parseEnvFile(await readFile(broker.dashboardEnvPath, 'utf8'), 'dashboard.env');
    dashboard = await mqtt.connectAsync({
      host: '127.0.0.1',
      port: broker.port,
      protocol: 'mqtts',
      ca: broker.caCertPem,
      username: dashboardEnv.MQTT_USERNAME,
      password: dashboardEnv.MQTT_PASSWORD,
      reconnectPeriod: 0,
    });
    dashboard.on('message', (topic, payload) => received.push({ topic, json: JSON.parse(String(payload)) }));
    await dashboard.subscribeAsync(['devices/+/data', 'devices/+/status'], { qos: 1 });
  });
  afterEach(async () => {
    await Promise.all(edges.splice(0).map((edge) => edge.kill()));
  });
  afterAll(async () => {
    await dashboard?.endAsync();
    await admin?.close();
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('connects over TLS with its own credential, and its readings reach the dashboard user', async () => {
    const edge = start(await provision('tls-1'));
    const started = await edge.waitForLog(
      /^edge tls-1: synthetic sensor, broker mqtts:\/\/localhost:\d+ as tls-1/,
    );
    expect(JSON.parse(started).env).toMatchObject({ MQTT_PASSWORD: '[set]', MQTT_TLS: true });
    expect(started).not.toContain(
      parseEnvFile(await readFile(join(dir, 'tls-1.env'), 'utf8'), 'x').MQTT_PASSWORD,
    );
    await expect.poll(() => readings('tls-1').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  });

  it('reaches a broker at an IPv6 address (MQTT_BROKER=::1), verifying its certificate for that address', async () => {
    const edge = start(await provision('tls-v6', { MQTT_BROKER: '::1' }));
    await edge.waitForLog(/^connected to the MQTT broker$/);
    expect(parsed(edge).find((line) => line.msg === 'connected to the MQTT broker')).toMatchObject({
      broker: `mqtts://[::1]:${broker.port}`,
    });
    await expect.poll(() => readings('tls-v6').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
  });

  it('names the user and the reason of a refused login once, then backs off instead of retrying every second', async () => {
    const path = await provision('tls-refused', { MQTT_PASSWORD: 'not-its-password' });
    const edge = start(path, { LOG_LEVEL: 'debug' });
    const refusal = JSON.parse(await edge.waitForLog(/refused user "tls-refused"/)) as LogLine;
    expect(refusal.level).toBe(50);
    expect(refusal.msg).toMatch(
      new RegExp(
        `^The MQTT broker mqtts://localhost:${broker.port} refused user "tls-refused" with client id "edge-tls-refused": (not authorized|bad user name or password)\\. Retrying with back-off: next in \\d+ s, at most 30 s apart\\.$`,
      ),
    );
    // The next refusals are the same problem: debug lines, each with a longer wait than the one before.
    await expect
      .poll(() => parsed(edge).filter((line) => line.level === 20 && /refused user/.test(line.msg)).length, {
        timeout: 15_000,
        interval: 200,
      })
      .toBeGreaterThanOrEqual(2);
    const waits = parsed(edge)
      .filter((line) => /refused user "tls-refused"/.test(line.msg))
      .map((line) => line.retry_ms ?? 0);
    const ceilings = [1_000, 2_000, 4_000, 8_000];
    waits.slice(0, 4).forEach((wait, index) => {
      expect(wait).toBeGreaterThanOrEqual((ceilings[index] ?? 0) / 2);
      expect(wait).toBeLessThanOrEqual(ceilings[index] ?? 0);
    });
    expect(parsed(edge).filter((line) => line.level >= 40 && /refused user/.test(line.msg))).toHaveLength(1);
    expect(readings('tls-refused')).toEqual([]);
  }, 30_000);

  it("is refused with another device's credential: the broker binds each credential to its own client id", async () => {
    const other = parseEnvFile(await readFile(await provision('tls-owner'), 'utf8'), 'x');
    const path = join(dir, 'thief.env');
    await writeFile(path, formatEnvFile({ ...other, DEVICE_ID: 'tls-thief' }));
    const edge = start(path);
    const refusal = JSON.parse(
      await edge.waitForLog(/refused user "tls-owner" with client id "edge-tls-thief"/),
    );
    expect(refusal.level).toBe(50);
    expect(readings('tls-thief')).toEqual([]);
  });
});

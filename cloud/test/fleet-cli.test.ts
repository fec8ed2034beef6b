import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadEnvConfig, mqttEnvSpec, mqttSettings, mqttTransportOptions, parseEnvFile } from '@fleet/shared';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFleetArgs, runFleet } from '../src/fleet/cli.js';
import {
  hasMosquitto,
  MOSQUITTO_BINARY,
  type SecureBrokerHandle,
  startSecureMosquitto,
} from '../src/index.js';
import { connectClient, endClients, nextMessage, quietLogger, whenClosed } from './mqtt-helpers.js';
import { reachableTempDir, readEnv } from './secure-helpers.js';

const mosquittoInstalled = hasMosquitto();
if (!mosquittoInstalled) {
  console.warn(
    `SKIPPED: the fleet CLI tests need Debian's broker at ${MOSQUITTO_BINARY} (apt-get install mosquitto).`,
  );
}
const FLEET_MAIN = fileURLToPath(new URL('../dist/fleet/main.js', import.meta.url));

/** Runs the CLI in this process with captured output. */
async function fleet(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk) => out.push(String(chunk)));
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const code = await runFleet(argv, { stdout, stderr, env });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** The device blocks `device add` printed, each as the variables an edge would read. */
function blocks(stdout: string): Record<string, string>[] {
  return stdout
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => parseEnvFile(block, 'stdout'));
}

/** An MQTT client made from printed lines exactly as the edge makes its own (shared's reading of MQTT_*). */
async function clientFrom(variables: Record<string, string>): Promise<MqttClient> {
  const transport = await mqttTransportOptions(mqttSettings(loadEnvConfig(mqttEnvSpec, variables)));
  return connectClient('', { ...transport, clientId: `edge-${variables.DEVICE_ID}` });
}

describe('fleet CLI arguments', () => {
  it.each([
    [
      [],
      'Command "" is not accepted; accepted: device add, device remove, device list, device add-many, device remove-many, device forget, homeassistant add|remove, user …, token …, backup FILE (see --help).',
    ],
    [
      ['device', 'rename', 'x'],
      'Command "device rename" is not accepted; accepted: device add ID…, device remove ID…, device list, device forget ID….',
    ],
    [['device', 'add'], 'Command "device add" received no device id; accepted: one id or more.'],
    [['device', 'list', 'x'], 'Command "device list" received "x"; accepted: nothing after it.'],
    [
      ['--verbose', 'device', 'list'],
      'Option --verbose is not accepted; accepted options: --data-dir, --help.',
    ],
  ])('%j → one sentence', (argv, error) => {
    expect(parseFleetArgs(argv)).toEqual({ kind: 'error', error });
  });

  it('reads the data folder and the ids', () => {
    expect(parseFleetArgs(['--data-dir', '/mosquitto/data', 'device', 'add', 'a', 'b'])).toEqual({
      kind: 'run',
      action: 'add',
      ids: ['a', 'b'],
      dataDir: '/mosquitto/data',
    });
    expect(parseFleetArgs(['device', 'list'])).toMatchObject({ dataDir: '.data' });
  });

  it('says where the admin credential comes from when there is none', async () => {
    const result = await fleet(['--data-dir', '/nonexistent', 'device', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/nonexistent/secure/broker-admin.env cannot be read (ENOENT)');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe.skipIf(!mosquittoInstalled)('fleet CLI against the production broker', () => {
  let broker: SecureBrokerHandle;
  let dataDir: string;
  let dashboard: MqttClient;

  beforeAll(async () => {
    dataDir = join(await reachableTempDir('fleet-cli-'), 'data');
    broker = await startSecureMosquitto({ dataDir, logger: quietLogger, hostnames: ['localhost'] });
    const env = await readEnv(broker.dashboardEnvPath);
    dashboard = await clientFrom({
      ...env,
      MQTT_BROKER: '127.0.0.1',
      MQTT_PORT: String(broker.port),
      DEVICE_ID: 'x',
    });
    await dashboard.subscribeAsync(['devices/+/data', 'devices/+/availability', 'devices/+/ack'], { qos: 1 });
  });
  afterAll(async () => {
    await endClients();
    await broker?.stop();
  });

  it('device add prints, per device, the lines with which it connects over TLS and publishes its readings', async () => {
    const result = await fleet(['--data-dir', dataDir, 'device', 'add', 'lab-7', 'lab-8']);
    expect(result.code).toBe(0);
    const [lab7, lab8] = blocks(result.stdout);
    expect(lab7).toMatchObject({
      MQTT_BROKER: 'localhost',
      MQTT_PORT: String(broker.port),
      MQTT_TLS: 'true',
      DEVICE_ID: 'lab-7',
      MQTT_USERNAME: 'lab-7',
    });
    expect(Buffer.from(lab7?.MQTT_CA_CERT ?? '', 'base64').toString('utf8')).toBe(broker.caCertPem);
    expect(lab7?.MQTT_PASSWORD).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(lab8?.MQTT_USERNAME).toBe('lab-8');
    expect(lab8?.MQTT_PASSWORD).not.toBe(lab7?.MQTT_PASSWORD);

    const device = await clientFrom(lab7 ?? {});
    const seen = nextMessage(dashboard, 'devices/lab-7/data');
    await device.publishAsync('devices/lab-7/data', '{"seq":1}', { qos: 1 });
    expect((await seen).payload).toBe('{"seq":1}');
    expect((await fleet(['--data-dir', dataDir, 'device', 'list'])).stdout).toBe('lab-7\nlab-8\n');
  });

  it('device add of an id that has a credential says so and changes nothing, the others are added', async () => {
    const result = await fleet(['--data-dir', dataDir, 'device', 'add', 'lab-8', 'lab-9']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Device "lab-8" already exists on the broker; remove it first (fleet device remove lab-8).',
    );
    expect(blocks(result.stdout).map((block) => block.DEVICE_ID)).toEqual(['lab-9']);
  });

  it('device remove disconnects the device at once, refuses its next login and marks it offline', async () => {
    const [lab10] = blocks((await fleet(['--data-dir', dataDir, 'device', 'add', 'lab-10'])).stdout);
    const device = await clientFrom(lab10 ?? {});
    const closed = whenClosed(device);
    const offline = nextMessage(dashboard, 'devices/lab-10/availability');
    const result = await fleet(['--data-dir', dataDir, 'device', 'remove', 'lab-10']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Removed lab-10');
    await closed;
    expect((await offline).payload).toBe('offline');
    await expect(clientFrom(lab10 ?? {})).rejects.toThrow(/Not authorized|Bad user name or password/i);
    expect((await fleet(['--data-dir', dataDir, 'device', 'list'])).stdout).not.toContain('lab-10');
    const again = await fleet(['--data-dir', dataDir, 'device', 'remove', 'lab-10']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Device "lab-10" is not on the broker');
  });

  it('takes MQTT_* variables of the environment over broker-admin.env (the admin on another machine)', async () => {
    const result = await fleet(['--data-dir', dataDir, 'device', 'list'], { MQTT_BROKER: 'localhost' });
    expect(result.code).toBe(0);
    const wrong = await fleet(['--data-dir', dataDir, 'device', 'list'], {
      MQTT_PASSWORD: 'not-the-password',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/could not connect: .*(Not authorized|Bad user name or password)/i);
  });

  it('runs as `node cloud/dist/fleet/main.js` (npm run fleet), printing only NAME=value lines on stdout', async () => {
    const child = spawn(process.execPath, [FLEET_MAIN, '--data-dir', dataDir, 'device', 'add', 'lab-11'], {
      env: { PATH: process.env.PATH },
    });
    const out: string[] = [];
    child.stdout.on('data', (chunk) => out.push(String(chunk)));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const lines = out.join('').trim().split('\n');
    expect(lines.every((line) => line.startsWith('#') || /^[A-Z_]+=\S+$/.test(line))).toBe(true);
    const device = await clientFrom(parseEnvFile(out.join(''), 'stdout'));
    expect(device.connected).toBe(true);
  });
});

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatEnvFile } from '@fleet/shared';
import type { IClientOptions, MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminConnection,
  DynsecAdmin,
  hasMosquitto,
  MOSQUITTO_BINARY,
  type SecureBrokerHandle,
  startSecureMosquitto,
} from '../src/index.js';
import {
  connectClient,
  endClients,
  grantedCodes,
  nextMessage,
  openClient,
  quietLogger,
  whenClosed,
} from './mqtt-helpers.js';
import { reachableTempDir, readEnv } from './secure-helpers.js';

const mosquittoInstalled = hasMosquitto();
if (!mosquittoInstalled) {
  console.warn(
    `SKIPPED: the production-profile tests need Debian's broker at ${MOSQUITTO_BINARY} (apt-get install mosquitto).`,
  );
}

/** Resolves with the CONNACK refusal or connection error of a client that must not get in. */
function refusal(url: string, options: IClientOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = openClient(url, options);
    client.once('connect', () => reject(new Error('The broker accepted the client.')));
    client.once('error', (error) => resolve(error.message));
    // A broker that hangs up on a client speaking plain MQTT to its TLS port gives no error, only a close.
    client.once('close', () => resolve('connection closed'));
  });
}

describe.skipIf(!mosquittoInstalled)('Mosquitto with cloud/mosquitto/production.conf', () => {
  let broker: SecureBrokerHandle;
  let admin: DynsecAdmin;
  let dashboardEnv: Record<string, string>;
  const devices: Record<string, string> = {};

  const tls = (options: IClientOptions = {}): IClientOptions => ({ ca: broker.caCertPem, ...options });
  const asDashboard = (clientId = 'dashboard-test') =>
    connectClient(broker.url, tls({ clientId, username: 'dashboard', password: dashboardEnv.MQTT_PASSWORD }));
  const asDevice = (id: string, options: IClientOptions = {}) =>
    connectClient(
      broker.url,
      tls({ clientId: `edge-${id}`, username: id, password: devices[id], ...options }),
    );

  beforeAll(async () => {
    const dataDir = join(await reachableTempDir('fleet-secure-broker-'), 'data');
    broker = await startSecureMosquitto({ dataDir, logger: quietLogger });
    dashboardEnv = await readEnv(broker.dashboardEnvPath);
    admin = await DynsecAdmin.connect((await adminConnection(dataDir)).options);
    for (const id of ['sim-001', 'sim-002', 'sim-003']) devices[id] = (await admin.addDevice(id)).password;
  });
  afterEach(async () => {
    await endClients();
  });
  afterAll(async () => {
    await admin?.close();
    await broker?.stop();
  });

  it('refuses anonymous clients, wrong passwords and plain MQTT on its TLS port', async () => {
    expect(broker.url).toBe(`mqtts://127.0.0.1:${broker.port}`);
    expect(await refusal(broker.url, tls())).toMatch(/Not authorized/i);
    expect(await refusal(broker.url, tls({ username: 'sim-001', password: 'wrong' }))).toMatch(
      /Not authorized/i,
    );
    expect(await refusal(`mqtt://127.0.0.1:${broker.port}`, {})).toMatch(/closed|ECONNRESET|EPIPE/);
    await expect(asDevice('sim-001')).resolves.toBeDefined();
  });

  it("lets the service clients whose hashes the setup wrote log in (our PBKDF2 is the plugin's)", async () => {
    await expect(asDashboard()).resolves.toBeDefined();
    expect(await admin.listDevices()).toEqual(['sim-001', 'sim-002', 'sim-003']);
  });

  it("drops a device's publishes onto another device's topics, and delivers its own", async () => {
    const dashboard = await asDashboard();
    const seen: string[] = [];
    dashboard.on('message', (topic: string) => seen.push(topic));
    for (const kind of ['data', 'status', 'availability', 'ack'])
      await dashboard.subscribeAsync(`devices/+/${kind}`, { qos: 1 });
    for (const kind of ['data', 'status', 'availability', 'ack']) {
      const device = await asDevice('sim-001');
      // Debian's Mosquitto 2.0.11 hangs up on a client whose publish is denied; a broker that answers with
      // a PUBACK instead would pass too.
      const closed = whenClosed(device);
      const acked = device.publishAsync(`devices/sim-002/${kind}`, '{"forged":true}', { qos: 1 });
      await Promise.race([acked, closed]).catch(() => undefined);
    }
    // The broker handles a client's packets in order and the dashboard's messages come in order: once the
    // own message (sent after every forged one was refused) is in, a forged one would be in too.
    const device = await asDevice('sim-001');
    const own = nextMessage(dashboard, 'devices/sim-001/data');
    await device.publishAsync('devices/sim-001/data', '{"seq":1}', { qos: 1 });
    expect((await own).payload).toBe('{"seq":1}');
    expect(seen).toEqual(['devices/sim-001/data']);
  });

  it("refuses a device another device's commands and devices/#, and delivers its own commands", async () => {
    const device = await asDevice('sim-001');
    const codes = await grantedCodes(device, [
      'devices/sim-002/commands',
      'devices/#',
      'devices/sim-001/commands',
    ]);
    expect(codes).toEqual([0x80, 0x80, 1]);
    const command = nextMessage(device, 'devices/sim-001/commands');
    const dashboard = await asDashboard();
    await dashboard.publishAsync('devices/sim-001/commands', '{"read_now":true}', { qos: 1 });
    expect((await command).payload).toBe('{"read_now":true}');
  });

  it("refuses a device's credential under another client id", async () => {
    const message = await refusal(
      broker.url,
      tls({ clientId: 'edge-sim-002', username: 'sim-001', password: devices['sim-001'] }),
    );
    expect(message).toMatch(/Not authorized/i);
  });

  it('removeDevice disconnects the device at once, refuses it after, and leaves it offline on the page', async () => {
    const dashboard = await asDashboard();
    await dashboard.subscribeAsync('devices/+/availability', { qos: 1 });
    const offline = nextMessage(dashboard, 'devices/sim-003/availability');
    const device: MqttClient = await asDevice('sim-003');
    const closed = whenClosed(device);
    await admin.removeDevice('sim-003');
    await closed;
    expect((await offline).payload).toBe('offline');
    expect(
      await refusal(
        broker.url,
        tls({ clientId: 'edge-sim-003', username: 'sim-003', password: devices['sim-003'] }),
      ),
    ).toMatch(/Not authorized/i);
    const later = await asDashboard('dashboard-later');
    const retained = nextMessage(later, 'devices/sim-003/availability');
    await later.subscribeAsync('devices/sim-003/availability', { qos: 1 });
    expect(await retained).toMatchObject({ retain: true, payload: 'offline' });
    expect(await admin.listDevices()).toEqual(['sim-001', 'sim-002']);
    await expect(admin.removeDevice('sim-003')).rejects.toThrow(
      'Device "sim-003" is not on the broker; "fleet device list" shows those that are.',
    );
  });

  it('says in one sentence that a device exists already, and refuses reserved or bad ids', async () => {
    await expect(admin.addDevice('sim-001')).rejects.toThrow(
      'Device "sim-001" already exists on the broker; remove it first (fleet device remove sim-001).',
    );
    await expect(admin.addDevice('dashboard')).rejects.toThrow(/is the broker's own dashboard user/);
    await expect(admin.addDevice('a/b')).rejects.toThrow(/Device id "a\/b" is not accepted/);
  });

  it('disconnects a client that publishes 1 MB, and delivers nothing of it', async () => {
    const dashboard = await asDashboard();
    const seen: number[] = [];
    dashboard.on('message', (_topic: string, payload: Buffer) => seen.push(payload.length));
    await dashboard.subscribeAsync('devices/+/data', { qos: 1 });
    const device = await asDevice('sim-002');
    const closed = whenClosed(device);
    device.publish('devices/sim-002/data', Buffer.alloc(1024 * 1024, 'x'), { qos: 1 });
    await closed;
    const after = await asDevice('sim-002', { clientId: 'edge-sim-002' });
    const marker = nextMessage(dashboard, 'devices/sim-002/data');
    await after.publishAsync('devices/sim-002/data', 'after', { qos: 1 });
    expect((await marker).payload).toBe('after');
    expect(seen).toEqual([5]);
  });

  it('applies a password rotated in an env file at the next start', async () => {
    const rotated = { ...dashboardEnv, MQTT_PASSWORD: 'rotated-password-of-the-dashboard' };
    await writeFile(broker.dashboardEnvPath, formatEnvFile(rotated));
    await broker.stop();
    await broker.start();
    const options = { clientId: 'dashboard-rotated', username: 'dashboard' };
    await expect(
      connectClient(broker.url, tls({ ...options, password: rotated.MQTT_PASSWORD })),
    ).resolves.toBeDefined();
    expect(await refusal(broker.url, tls({ ...options, password: dashboardEnv.MQTT_PASSWORD }))).toMatch(
      /Not authorized/i,
    );
    // Devices added while it ran are still there.
    await expect(asDevice('sim-001')).resolves.toBeDefined();
    dashboardEnv = rotated;
  });
});

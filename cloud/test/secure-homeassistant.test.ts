import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseEnvFile } from '@fleet/shared';
import type { IClientOptions, MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../src/fleet/cli.js';
import {
  adminConnection,
  DynsecAdmin,
  hasMosquitto,
  type SecureBrokerHandle,
  startSecureMosquitto,
} from '../src/index.js';
import {
  connectClient,
  endClients,
  grantedCodes,
  nextMessage,
  quietLogger,
  whenClosed,
} from './mqtt-helpers.js';
import { reachableTempDir, readEnv } from './secure-helpers.js';

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

// The production broker's ACLs for Home Assistant, under HA_DISCOVERY_PREFIX=ha/fleet: Home Assistant's
// credential (fleet homeassistant add) reads the devices and the discovery and may publish only its birth and
// set requests; the dashboard publishes discovery and reads set requests; devices stay on their own topics.
describe.skipIf(!hasMosquitto())('the production broker and Home Assistant', () => {
  let dataDir: string;
  let broker: SecureBrokerHandle;
  let ha: Record<string, string>;
  const passwords: Record<string, string> = {};
  const OBSERVER = 'observer-password';

  const tls = (options: IClientOptions): IClientOptions => ({ ca: broker.caCertPem, ...options });
  const asDevice = (id: string) =>
    connectClient(broker.url, tls({ clientId: `edge-${id}`, username: id, password: passwords[id] }));
  const asHomeAssistant = () =>
    connectClient(broker.url, tls({ username: ha.MQTT_USERNAME, password: ha.MQTT_PASSWORD }));
  const asDashboard = async () => {
    const env = await readEnv(broker.dashboardEnvPath);
    return connectClient(broker.url, tls({ username: 'dashboard', password: env.MQTT_PASSWORD }));
  };

  /**
   * True when `publisher`'s QoS 1 publish on `topic` reaches nobody: an observer that reads everything
   * watches; once the publish is acknowledged (or the broker hung up), a device publishes on its own data
   * topic, and when that arrives the refused one would have arrived before it.
   */
  async function refused(publisher: MqttClient, topic: string): Promise<boolean> {
    const observer = await connectClient(broker.url, tls({ username: 'observer', password: OBSERVER }));
    const seen: string[] = [];
    observer.on('message', (received: string) => seen.push(received));
    await observer.subscribeAsync('#', { qos: 1 });
    await Promise.race([
      publisher.publishAsync(topic, '{"intervalle":30}', { qos: 1 }),
      whenClosed(publisher),
    ]);
    const marker = nextMessage(observer, 'devices/lab-2/data');
    await (await asDevice('lab-2')).publishAsync('devices/lab-2/data', '{"seq":1}', { qos: 1 });
    await marker;
    return !seen.includes(topic);
  }

  beforeAll(async () => {
    dataDir = join(await reachableTempDir('fleet-ha-'), 'data');
    broker = await startSecureMosquitto({
      dataDir,
      logger: quietLogger,
      hostnames: ['localhost'],
      haDiscoveryPrefix: 'ha/fleet',
    });
    const connection = await adminConnection(dataDir);
    const admin = await DynsecAdmin.connect({ ...connection.options, topics: connection.topics });
    for (const id of ['lab-1', 'lab-2']) passwords[id] = (await admin.addDevice(id)).password;
    await admin.send([
      {
        command: 'createRole',
        rolename: 'observer',
        acls: [{ acltype: 'subscribePattern', topic: '#', allow: true }],
      },
      {
        command: 'createClient',
        username: 'observer',
        password: OBSERVER,
        roles: [{ rolename: 'observer' }],
      },
    ]);
    await admin.close();
    const added = await fleet(['--data-dir', dataDir, 'homeassistant', 'add']);
    expect(added.code).toBe(0);
    ha = parseEnvFile(added.stdout, 'stdout');
  });
  afterEach(async () => {
    await endClients();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('homeassistant add prints the broker, port, user, password and CA for the MQTT integration', () => {
    expect(ha).toMatchObject({
      MQTT_BROKER: 'localhost',
      MQTT_PORT: String(broker.port),
      MQTT_TLS: 'true',
      MQTT_USERNAME: 'homeassistant',
    });
    expect(ha.MQTT_PASSWORD).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(ha.MQTT_CA_CERT ?? '', 'base64').toString('utf8')).toBe(broker.caCertPem);
  });

  it('lets Home Assistant read the devices and the discovery prefix, and nothing else', async () => {
    const client = await asHomeAssistant();
    expect(
      await grantedCodes(client, [
        'devices/+/data',
        'devices/+/status',
        'devices/+/availability',
        'devices/+/ack',
        'ha/fleet/#',
        'devices/+/commands',
        'devices/+/set',
        'homeassistant/#',
      ]),
    ).toEqual([1, 1, 1, 1, 1, 0x80, 0x80, 0x80]);
  });

  it('lets Home Assistant publish its birth and set requests, never a command to a device', async () => {
    const dashboard = await asDashboard();
    await dashboard.subscribeAsync(['devices/+/set', 'ha/fleet/status'], { qos: 1 });
    const set = nextMessage(dashboard, 'devices/lab-1/set');
    const client = await asHomeAssistant();
    await client.publishAsync('devices/lab-1/set', '{"intervalle":30}', { qos: 1 });
    expect((await set).payload).toBe('{"intervalle":30}');
    const birth = nextMessage(dashboard, 'ha/fleet/status');
    await client.publishAsync('ha/fleet/status', 'online', { qos: 1 });
    expect((await birth).payload).toBe('online');
    expect(await refused(await asHomeAssistant(), 'devices/lab-1/commands')).toBe(true);
    expect(await refused(await asHomeAssistant(), 'ha/fleet/device/lab-1/config')).toBe(true);
  });

  it('lets the dashboard publish discovery under the prefix only, and read set requests', async () => {
    const dashboard = await asDashboard();
    expect(await grantedCodes(dashboard, ['ha/fleet/status', 'devices/+/set', 'ha/fleet/#'])).toEqual([
      1, 1, 0x80,
    ]);
    const watcher = await asHomeAssistant();
    await watcher.subscribeAsync('ha/fleet/#', { qos: 1 });
    const config = nextMessage(watcher, 'ha/fleet/device/lab-1/config');
    await dashboard.publishAsync('ha/fleet/device/lab-1/config', '{"dev":{}}', { qos: 1, retain: true });
    expect((await config).payload).toBe('{"dev":{}}');
    // Removed again (an empty retained payload), so that the observer of the next tests does not get it.
    await dashboard.publishAsync('ha/fleet/device/lab-1/config', '', { qos: 1, retain: true });
    expect(await refused(await asDashboard(), 'homeassistant/device/lab-1/config')).toBe(true);
  });

  it("keeps a device off another device's set topic, its own, and the discovery", async () => {
    expect(await refused(await asDevice('lab-1'), 'devices/lab-2/set')).toBe(true);
    expect(await refused(await asDevice('lab-1'), 'devices/lab-1/set')).toBe(true);
    expect(await refused(await asDevice('lab-1'), 'ha/fleet/device/lab-1/config')).toBe(true);
  });

  it('says so when Home Assistant has a credential already, and revokes it with homeassistant remove', async () => {
    const again = await fleet(['--data-dir', dataDir, 'homeassistant', 'add']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Home Assistant already has a credential on the broker; .*\n$/);
    const client = await asHomeAssistant();
    const closed = whenClosed(client);
    const removed = await fleet(['--data-dir', dataDir, 'homeassistant', 'remove']);
    expect(removed.code).toBe(0);
    await closed;
    await expect(asHomeAssistant()).rejects.toThrow();
    expect((await fleet(['--data-dir', dataDir, 'device', 'list'])).stdout).not.toContain('homeassistant');
  });
});

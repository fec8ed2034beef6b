import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

// The production broker's ACLs follow MQTT_TOPIC_ROOT: the env files it writes carry the root, the fleet
// command reads it from broker-admin.env, and a restart with another root moves every role to it.
describe.skipIf(!hasMosquitto())('the production broker under MQTT_TOPIC_ROOT', () => {
  let dataDir: string;
  let broker: SecureBrokerHandle | undefined;
  let password: string;
  const OBSERVER = 'observer-password';

  const start = async (topicRoot: string) => {
    broker = await startSecureMosquitto({ dataDir, topicRoot, logger: quietLogger });
    return broker;
  };
  const tls = (handle: SecureBrokerHandle, options: IClientOptions): IClientOptions => ({
    ca: handle.caCertPem,
    ...options,
  });
  const asDevice = (handle: SecureBrokerHandle) =>
    connectClient(handle.url, tls(handle, { clientId: 'edge-lab-1', username: 'lab-1', password }));
  const asDashboard = async (handle: SecureBrokerHandle) => {
    const env = await readEnv(handle.dashboardEnvPath);
    return connectClient(
      handle.url,
      tls(handle, { clientId: 'dashboard-root', username: 'dashboard', password: env.MQTT_PASSWORD }),
    );
  };

  /** The device publishes on `topic`; resolves with what the dashboard subscribed to `filter` received. */
  async function relayed(handle: SecureBrokerHandle, filter: string, topic: string): Promise<string> {
    const dashboard = await asDashboard(handle);
    await dashboard.subscribeAsync(filter, { qos: 1 });
    const seen = nextMessage(dashboard, topic);
    const device = await asDevice(handle);
    await device.publishAsync(topic, '{"seq":1}', { qos: 1 });
    return (await seen).payload;
  }

  /**
   * True when a device's publish on `topic` reaches nobody. An observer allowed to read everything watches;
   * the device then publishes on its own data topic: the broker handles a client's packets in order, so once
   * that message is in, the refused one would be in too. (Mosquitto 2.0.11 either acknowledges a refused
   * QoS 1 publish or hangs up; both count as refused.)
   */
  async function refusedPublish(
    handle: SecureBrokerHandle,
    topic: string,
    ownTopic: string,
  ): Promise<boolean> {
    const observer = await connectClient(
      handle.url,
      tls(handle, { username: 'observer', password: OBSERVER }),
    );
    const seen: string[] = [];
    observer.on('message', (received: string) => seen.push(received));
    await observer.subscribeAsync('#', { qos: 1 });
    const forger = await asDevice(handle);
    await Promise.race([forger.publishAsync(topic, '{"forged":true}', { qos: 1 }), whenClosed(forger)]);
    const own = nextMessage(observer, ownTopic);
    const device = await asDevice(handle);
    await device.publishAsync(ownTopic, '{"seq":2}', { qos: 1 });
    await own;
    return !seen.includes(topic);
  }

  beforeAll(async () => {
    dataDir = join(await reachableTempDir('fleet-topic-root-'), 'data');
    const handle = await start('home/sensors');
    expect((await readEnv(handle.clientEnvPath)).MQTT_TOPIC_ROOT).toBe('home/sensors');
    // As `npm run fleet -- device add` does: the admin's connection, root included, from broker-admin.env.
    const connection = await adminConnection(dataDir);
    expect(connection.topics.root).toBe('home/sensors');
    const admin = await DynsecAdmin.connect({ ...connection.options, topics: connection.topics });
    password = (await admin.addDevice('lab-1')).password;
    // A client of the test's own that may read every topic, to see what the broker lets through.
    // biome-ignore lint/complexity/useLiteralKeys: send is private; the test adds a client of its own with it.
    await admin['send']([
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
  });
  afterEach(async () => {
    await endClients();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("lets a device publish under the root and the dashboard read it there, and nothing under 'devices/'", async () => {
    const handle = broker as SecureBrokerHandle;
    expect(await relayed(handle, 'home/sensors/+/data', 'home/sensors/lab-1/data')).toBe('{"seq":1}');
    expect(await relayed(handle, 'home/sensors/+/availability', 'home/sensors/lab-1/availability')).toBe(
      '{"seq":1}',
    );
    expect(await refusedPublish(handle, 'devices/lab-1/data', 'home/sensors/lab-1/data')).toBe(true);
    const dashboard = await asDashboard(handle);
    expect(await grantedCodes(dashboard, ['home/sensors/+/status', 'devices/+/status'])).toEqual([1, 0x80]);
    const device = await asDevice(handle);
    expect(await grantedCodes(device, ['home/sensors/lab-1/commands', 'devices/lab-1/commands'])).toEqual([
      1, 0x80,
    ]);
  });

  it('moves the device roles it already has to a new root at the next start', async () => {
    await broker?.stop();
    const handle = await start('fleet2');
    expect(await relayed(handle, 'fleet2/+/data', 'fleet2/lab-1/data')).toBe('{"seq":1}');
    expect(await refusedPublish(handle, 'home/sensors/lab-1/data', 'fleet2/lab-1/data')).toBe(true);
  });
});

import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  adminConnection,
  DynsecAdmin,
  hasMosquitto,
  MOSQUITTO_BINARY,
  type SecureBrokerHandle,
  startSecureMosquitto,
} from '@fleet/cloud';
import { parseEnvFile } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, tempDir } from '../server/fixtures.js';

const mosquittoInstalled = hasMosquitto();
if (!mosquittoInstalled)
  console.warn(`SKIPPED: the replicas' ACL test needs Mosquitto at ${MOSQUITTO_BINARY}.`);

describe.skipIf(!mosquittoInstalled)(
  "the production broker's ACLs and the replicas' shared subscriptions",
  () => {
    let broker: SecureBrokerHandle;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let dashboardPassword: string;
    let devicePassword: string;
    const clients: MqttClient[] = [];

    const connect = async (options: mqtt.IClientOptions) => {
      const client = await mqtt.connectAsync(broker.url, {
        ca: broker.caCertPem,
        reconnectPeriod: 0,
        ...options,
      });
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      dir = await tempDir();
      // Run as root, Mosquitto drops to its own user, which must enter the folder.
      await chmod(dir.path, 0o755);
      const dataDir = join(dir.path, 'broker');
      broker = await startSecureMosquitto({ dataDir, logger: pino({ level: 'silent' }) });
      const env = parseEnvFile(await readFile(broker.dashboardEnvPath, 'utf8'), broker.dashboardEnvPath);
      dashboardPassword = env.MQTT_PASSWORD ?? '';
      const admin = await DynsecAdmin.connect((await adminConnection(dataDir)).options);
      devicePassword = (await admin.addDevice('acl-1')).password;
      await admin.close();
    });
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.endAsync(true)));
      await broker?.stop();
      await dir?.remove();
    });

    it('grants the dashboard user $share/<group>/devices/+/data and …/set, and hands each reading to one member', async () => {
      const members = await Promise.all(
        ['replica-a', 'replica-b'].map((clientId) =>
          connect({ clientId, username: 'dashboard', password: dashboardPassword }),
        ),
      );
      const first: string[] = [];
      const second: string[] = [];
      const received = [first, second];
      for (const [index, member] of members.entries()) {
        member.on('message', (_topic, payload) => received[index]?.push(payload.toString()));
        const granted = await member.subscribeAsync({
          '$share/dashboards/devices/+/data': { qos: 1 },
          '$share/dashboards/devices/+/set': { qos: 1 },
        });
        expect(granted.map((grant) => grant.qos)).toEqual([1, 1]);
      }
      const device = await connect({ clientId: 'edge-acl-1', username: 'acl-1', password: devicePassword });
      for (let seq = 0; seq < 10; seq += 1) {
        await device.publishAsync('devices/acl-1/data', String(seq), { qos: 1 });
      }
      await eventually(
        () => first.length + second.length === 10,
        5000,
        () => 'ten readings',
      );
      // Mosquitto hands them round: each member got some, none got one twice.
      expect(first.length).toBeGreaterThan(0);
      expect(second.length).toBeGreaterThan(0);
      expect(new Set([...first, ...second]).size).toBe(10);
    });

    it("refuses a device's credential the shared subscription to every device's readings", async () => {
      const device = await connect({ clientId: 'edge-acl-1', username: 'acl-1', password: devicePassword });
      const granted = await device
        .subscribeAsync({ '$share/dashboards/devices/+/data': { qos: 1 } })
        .then((grants) => grants.map((grant) => grant.qos))
        .catch((error: { packet?: { granted?: number[] } }) => error.packet?.granted ?? []);
      expect(granted).toEqual([0x80]);
    });
  },
);

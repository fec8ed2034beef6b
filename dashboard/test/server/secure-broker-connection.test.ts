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
import { type IncomingMessage, MqttBrokerConnection } from '@fleet/dashboard';
import {
  loadEnvConfig,
  type MqttTransportOptions,
  mqttEnvSpec,
  mqttSettings,
  mqttTransportOptions,
  parseEnvFile,
  Topics,
} from '@fleet/shared';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger, eventually, telemetry, tempDir } from './fixtures.js';

const mosquittoInstalled = hasMosquitto();
if (!mosquittoInstalled) {
  console.warn(
    `SKIPPED: the dashboard's production-broker tests need Debian's broker at ${MOSQUITTO_BINARY}.`,
  );
}

/**
 * The dashboard's one MQTT connection against Debian's Mosquitto running the production profile, with the
 * transport options built from env-file lines exactly as the service builds them from its variables.
 */
describe.skipIf(!mosquittoInstalled)("the dashboard's broker connection, production broker", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let broker: SecureBrokerHandle;
  let admin: DynsecAdmin;
  let dashboardLines: Record<string, string>;
  const connections: MqttBrokerConnection[] = [];

  const transportOf = async (variables: Record<string, string>): Promise<MqttTransportOptions> =>
    mqttTransportOptions(mqttSettings(loadEnvConfig(mqttEnvSpec, variables)));
  /** dashboard.env names the compose service; here the broker is on this machine. */
  const asDashboard = (overrides: Record<string, string> = {}) =>
    transportOf({ ...dashboardLines, MQTT_BROKER: '127.0.0.1', ...overrides });
  const open = (transport: MqttTransportOptions, clientId = `dashboard-test-${connections.length}`) => {
    const { logger, lines } = capturingLogger('debug');
    const connection = new MqttBrokerConnection({
      topics: new Topics(),
      transport,
      clientId,
      logger,
      initialReconnectMs: 200,
      maxReconnectMs: 2_000,
    });
    connections.push(connection);
    connection.start();
    return { connection, lines };
  };

  beforeAll(async () => {
    dir = await tempDir();
    await chmod(dir.path, 0o755);
    broker = await startSecureMosquitto({ dataDir: join(dir.path, 'broker') });
    dashboardLines = parseEnvFile(await readFile(broker.dashboardEnvPath, 'utf8'), 'dashboard.env');
    admin = await DynsecAdmin.connect((await adminConnection(join(dir.path, 'broker'))).options);
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.stop()));
  });
  afterAll(async () => {
    await admin?.close();
    await broker?.stop();
    await dir?.remove();
  });

  it("receives every device's readings over TLS with its own user", async () => {
    const { connection } = open(await asDashboard());
    const received: IncomingMessage[] = [];
    connection.onMessage((message) => {
      received.push(message);
    });
    await eventually(() => connection.connected, 10_000, 'the connection');
    const { password } = await admin.addDevice('dash-1');
    const device = await mqtt.connectAsync({
      ...(await asDashboard({ MQTT_USERNAME: 'dash-1', MQTT_PASSWORD: password })),
      clientId: 'edge-dash-1',
      reconnectPeriod: 0,
    });
    await device.publishAsync('devices/dash-1/data', JSON.stringify(telemetry({ device_id: 'dash-1' })), {
      qos: 1,
    });
    await device.endAsync();
    await eventually(() => received.some((m) => m.topic === 'devices/dash-1/data'), 5_000, 'the reading');
  });

  it("says which subscriptions the broker refused and why, when given a device's credential", async () => {
    const { password } = await admin.addDevice('dash-2');
    // With the device's own client id too: with any other, the broker refuses the login itself.
    const { lines } = open(
      await asDashboard({ MQTT_USERNAME: 'dash-2', MQTT_PASSWORD: password }),
      'edge-dash-2',
    );
    const line = await eventually(
      () => lines.find((l) => String(l.msg).includes('refused the subscriptions')),
      10_000,
      'the refusal',
    );
    expect(line.level).toBe(50);
    expect(line.msg).toBe(
      `The MQTT broker mqtts://127.0.0.1:${broker.port} refused the subscriptions devices/+/data, devices/+/status, devices/+/ack, devices/+/availability for user "dash-2": on the fleet's broker only the dashboard's own user may read every device; check MQTT_USERNAME (a device's credential holds only its own topics).`,
    );
  });

  it('names the user and the reason of a refused login once, then retries with a growing delay', async () => {
    const { connection, lines } = open(await asDashboard({ MQTT_PASSWORD: 'wrong' }));
    await eventually(
      () => lines.filter((l) => String(l.msg).includes('refused user')).length >= 3,
      15_000,
      'three refusals',
    );
    const refusals = lines.filter((l) => String(l.msg).includes('refused user "dashboard"'));
    expect(refusals[0]?.level).toBe(50);
    expect(String(refusals[0]?.msg)).toMatch(
      /^The MQTT broker mqtts:\/\/127\.0\.0\.1:\d+ refused user "dashboard" with client id "dashboard-test-\d+": (not authorized|bad user name or password)\. Retrying with back-off/,
    );
    expect(refusals.slice(1).every((l) => l.level === 20)).toBe(true);
    const waits = refusals.map((l) => Number(l.retry_ms));
    [200, 400, 800].forEach((ceiling, index) => {
      expect(waits[index]).toBeGreaterThanOrEqual(ceiling / 2);
      expect(waits[index]).toBeLessThanOrEqual(ceiling);
    });
    expect(connection.connected).toBe(false);
  });
});

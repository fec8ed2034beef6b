import { randomUUID } from 'node:crypto';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { Topics } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, onlineStatus, telemetry } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

describe('MQTT_TOPIC_ROOT: a fleet sharing a broker under its own root (real broker)', () => {
  let broker: BrokerHandle;
  let h: Harness;
  let device: MqttClient;
  const commands: string[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await broker?.stop();
  });
  beforeEach(async () => {
    h = await startHarness({ broker, connect: true, topics: new Topics('home/sensors') });
    device = await mqtt.connectAsync(broker.url, { clientId: `device-${randomUUID()}` });
    await device.subscribeAsync('#', { qos: 1 });
    device.on('message', (topic, payload) => {
      if (topic.endsWith('/commands')) commands.push(`${topic} ${payload}`);
    });
  });
  afterEach(async () => {
    await device.endAsync();
    await h.close();
  });

  it('reads data, status and availability under its root only, and sends commands there', async () => {
    const qos = { qos: 1 as const };
    await device.publishAsync(
      'home/sensors/pi-1/status',
      JSON.stringify(onlineStatus('pi-1', { v: 2 })),
      qos,
    );
    await device.publishAsync('home/sensors/pi-1/availability', 'online', qos);
    await device.publishAsync('home/sensors/pi-1/data', JSON.stringify(telemetry()), qos);
    // Another system's devices on the same broker, under the default root: not this fleet's.
    await device.publishAsync('devices/pi-2/data', JSON.stringify(telemetry({ device_id: 'pi-2' })), qos);
    await eventually(() => h.dashboard.fleet.summary('pi-1')?.delivery.received === 1, 10_000, 'the reading');
    expect(h.dashboard.fleet.ids()).toEqual(['pi-1']);
    expect(h.dashboard.fleet.summary('pi-1')?.online).toBe(true);

    const sent = await h.dashboard.app.inject({
      method: 'POST',
      url: '/api/command',
      payload: { device_id: 'pi-1', read_now: true, command_id: 'r1' },
    });
    expect(sent.statusCode).toBe(200);
    await eventually(() => commands.length === 1, 10_000, 'the command');
    expect(commands[0]).toMatch(
      /^home\/sensors\/pi-1\/commands \{"v":2,"read_now":true,"device_id":"pi-1","command_id":"r1","issued_at":"/,
    );
  });
});

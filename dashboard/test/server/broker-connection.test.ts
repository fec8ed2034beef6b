import { randomUUID } from 'node:crypto';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { type IncomingMessage, MqttBrokerConnection } from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, quietLogger, telemetry } from './fixtures.js';

describe('MqttBrokerConnection (real broker)', () => {
  let broker: BrokerHandle;
  const connections: MqttBrokerConnection[] = [];
  const connect = (clientId = `dashboard-${randomUUID()}`) => {
    const connection = new MqttBrokerConnection({
      topics: new Topics(),
      transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
      clientId,
      logger: quietLogger(),
      initialReconnectMs: 50,
      maxReconnectMs: 200,
    });
    connections.push(connection);
    return connection;
  };
  const publish = async (topic: string, payload: unknown) => {
    const client = await mqtt.connectAsync(broker.url, { clientId: `publisher-${randomUUID()}` });
    await client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    await client.endAsync();
  };

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.stop()));
    await broker.start();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('waits for a broker that is not up yet, then subscribes', async () => {
    await broker.stop();
    const connection = connect();
    const received: IncomingMessage[] = [];
    connection.onMessage((message) => {
      received.push(message);
    });
    connection.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(connection.connected).toBe(false);
    await expect(connection.publish('devices/pi-1/commands', '{}')).rejects.toThrow(/Not connected/);

    await broker.start();
    await eventually(() => connection.connected, 10_000, 'the connection');
    await publish('devices/pi-1/data', telemetry());
    await eventually(() => received.length === 1, 5000, 'the message');
    expect(received[0]).toMatchObject({ topic: 'devices/pi-1/data', retain: false });
    expect(JSON.parse(String(received[0]?.payload))).toEqual(telemetry());
  });

  it('keeps its session: what was published while it was away arrives when it is back', async () => {
    const clientId = `dashboard-${randomUUID()}`;
    const first = connect(clientId);
    first.start();
    await eventually(() => first.connected, 10_000, 'the first connection');
    await first.stop();

    await publish('devices/pi-1/data', telemetry({ seq: 41 }));
    await publish('devices/pi-1/ack', { hello: 'queued' });

    const second = connect(clientId);
    const received: string[] = [];
    second.onMessage((message) => {
      received.push(`${message.topic} ${message.payload}`);
    });
    second.start();
    await eventually(() => received.length === 2, 10_000, 'the queued messages');
    expect(received).toEqual([
      `devices/pi-1/data ${JSON.stringify(telemetry({ seq: 41 }))}`,
      'devices/pi-1/ack {"hello":"queued"}',
    ]);
  });

  it('reconnects after the broker restarts and flags retained messages', async () => {
    const connection = connect();
    const received: IncomingMessage[] = [];
    connection.onMessage((message) => {
      received.push(message);
    });
    connection.start();
    await eventually(() => connection.connected, 10_000, 'the connection');
    const client = await mqtt.connectAsync(broker.url, { clientId: `device-${randomUUID()}` });
    await client.publishAsync('devices/pi-7/status', '{"device_id":"pi-7","online":false}', {
      qos: 1,
      retain: true,
    });
    await client.endAsync();
    await eventually(() => received.length === 1, 5000, 'the live status');
    expect(received[0]?.retain).toBe(false);

    await broker.stop();
    await eventually(() => !connection.connected, 5000, 'the connection to drop');
    await broker.start();
    await eventually(() => connection.connected, 10_000, 'the reconnection');
    // Subscribing again replays the retained status, flagged as such.
    await eventually(() => received.length === 2, 5000, 'the retained status');
    expect(received[1]).toMatchObject({ topic: 'devices/pi-7/status', retain: true });
  });
});

import { randomUUID } from 'node:crypto';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { type IncomingMessage, LiveConnection, MqttBrokerConnection } from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, quietLogger, telemetry } from '../server/fixtures.js';

/** Two dashboards of one share group (MQTT_SHARE_GROUP) on a real Mosquitto. */
describe('replicas: the subscriptions of a share group (real Mosquitto)', () => {
  let broker: BrokerHandle;
  const connections: MqttBrokerConnection[] = [];
  const liveConnections: LiveConnection[] = [];
  const connect = (shareGroup: string | null, clientId = `dashboard-${randomUUID()}`) => {
    const connection = new MqttBrokerConnection({
      topics: new Topics(),
      transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
      clientId,
      logger: quietLogger(),
      initialReconnectMs: 50,
      maxReconnectMs: 200,
      shareGroup,
    });
    connections.push(connection);
    return connection;
  };
  const started = async (connection: MqttBrokerConnection) => {
    connection.start();
    await eventually(() => connection.connected, 10_000, 'the connection');
    return connection;
  };
  const publishAll = async (messages: Array<[string, unknown]>) => {
    const client = await mqtt.connectAsync(broker.url, { clientId: `publisher-${randomUUID()}` });
    for (const [topic, payload] of messages)
      await client.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    await client.endAsync();
  };
  const recorder = (connection: MqttBrokerConnection) => {
    const seen: IncomingMessage[] = [];
    connection.onMessage((message) => {
      seen.push(message);
    });
    return seen;
  };
  const seqs = (messages: IncomingMessage[], topic: string) =>
    messages
      .filter((message) => message.topic === topic)
      .map((message) => (JSON.parse(String(message.payload)) as { seq: number }).seq);

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.stop()));
    await Promise.all(liveConnections.splice(0).map((connection) => connection.stop()));
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("hands each reading to one replica's main connection, every reading to every replica's live connection, and status to every replica", async () => {
    const group = `g-${randomUUID().slice(0, 8)}`;
    const a = await started(connect(group));
    const b = await started(connect(group));
    const [seenA, seenB] = [recorder(a), recorder(b)];
    const lives = [a, b].map(() => {
      const live = new LiveConnection({
        transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
        clientId: `dashboard-${randomUUID()}`,
        topics: new Topics(),
        logger: quietLogger(),
      });
      liveConnections.push(live);
      const seen: IncomingMessage[] = [];
      live.onMessage((message) => seen.push(message));
      live.start();
      return seen;
    });
    await eventually(() => liveConnections.every((live) => live.subscribed), 10_000, 'the live connections');
    const readings = Array.from({ length: 20 }, (_, seq) => telemetry({ seq }));
    await publishAll([
      ...readings.map((reading): [string, unknown] => ['devices/pi-1/data', reading]),
      ['devices/pi-1/status', { hello: 'status' }],
    ]);
    const stored = () => [...seqs(seenA, 'devices/pi-1/data'), ...seqs(seenB, 'devices/pi-1/data')];
    await eventually(
      () => stored().length >= 20,
      10_000,
      () => `20 readings stored (${stored().length})`,
    );
    await eventually(
      () => lives.every((seen) => seqs(seen, 'devices/pi-1/data').length >= 20),
      5000,
      'the live copies',
    );
    const ordered = readings.map((reading) => reading.seq);
    expect(stored().sort((x, y) => x - y)).toEqual(ordered);
    for (const seen of lives) expect(seqs(seen, 'devices/pi-1/data')).toEqual(ordered);
    // Mosquitto hands them round: each replica stores some.
    expect(seqs(seenA, 'devices/pi-1/data').length).toBeGreaterThan(0);
    expect(seqs(seenB, 'devices/pi-1/data').length).toBeGreaterThan(0);
    await eventually(
      () => [seenA, seenB].every((seen) => seen.some((message) => message.topic === 'devices/pi-1/status')),
      5000,
      'the status on both',
    );
  });

  it('after a run without a group, stops taking every reading (the plain subscription left in the session goes)', async () => {
    const clientId = `dashboard-${randomUUID()}`;
    const earlier = await started(connect(null, clientId));
    await earlier.stop();
    const group = `g-${randomUUID().slice(0, 8)}`;
    const a = await started(connect(group, clientId));
    const b = await started(connect(group));
    const [seenA, seenB] = [recorder(a), recorder(b)];
    await publishAll(
      Array.from({ length: 10 }, (_, seq): [string, unknown] => ['devices/pi-4/data', telemetry({ seq })]),
    );
    const stored = () => [...seqs(seenA, 'devices/pi-4/data'), ...seqs(seenB, 'devices/pi-4/data')];
    await eventually(() => stored().length >= 10, 5000, 'ten readings');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stored().sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, seq) => seq));
    expect(seqs(seenB, 'devices/pi-4/data').length).toBeGreaterThan(0);
  });

  it('without a group, takes every reading (one dashboard, as before)', async () => {
    const only = await started(connect(null));
    const seen = recorder(only);
    await publishAll(
      Array.from({ length: 5 }, (_, seq): [string, unknown] => ['devices/pi-2/data', telemetry({ seq })]),
    );
    await eventually(() => seqs(seen, 'devices/pi-2/data').length === 5, 5000, 'five readings');
    expect(seqs(seen, 'devices/pi-2/data')).toEqual([0, 1, 2, 3, 4]);
  });

  it("sends a shared route's message (a Home Assistant set) to one replica, also after a run without the group left its plain subscription", async () => {
    const group = `g-${randomUUID().slice(0, 8)}`;
    const handled: string[] = [];
    const withRoute = (connection: MqttBrokerConnection, name: string) => {
      connection.route({
        filters: ['devices/+/set'],
        shared: true,
        handler: (message) => {
          handled.push(`${name} ${message.payload}`);
        },
      });
      return connection;
    };
    // An earlier run of replica a without a group: its set subscription is plain, kept in the session.
    const clientIdA = `dashboard-${randomUUID()}`;
    const earlier = await started(withRoute(connect(null, clientIdA), 'earlier'));
    await earlier.stop();

    await started(withRoute(connect(group, clientIdA), 'a'));
    await started(withRoute(connect(group), 'b'));
    await publishAll(Array.from({ length: 6 }, (_, n): [string, unknown] => ['devices/pi-3/set', { n }]));
    await eventually(() => handled.length >= 6, 5000, 'six set requests');
    // A moment for a second copy, had the plain subscription stayed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const payloads = handled.map((line) => line.split(' ')[1]);
    expect(payloads.sort()).toEqual(Array.from({ length: 6 }, (_, n) => JSON.stringify({ n })).sort());
    expect(handled.some((line) => line.startsWith('a '))).toBe(true);
    expect(handled.some((line) => line.startsWith('b '))).toBe(true);
  });
});

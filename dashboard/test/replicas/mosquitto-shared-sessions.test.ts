import { randomUUID } from 'node:crypto';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../server/fixtures.js';

interface Got {
  payload: string;
  qos: number;
  dup: boolean;
}

/**
 * What the replicas rely on, pinned on the broker the fleet runs (Debian's Mosquitto 2.0.11 with
 * cloud/mosquitto/development.conf): how a shared subscription treats a member that dies without
 * acknowledging, and what one MQTT 3.1.1 client with two matching subscriptions receives.
 */
describe('Mosquitto: shared subscriptions of persistent sessions', () => {
  let broker: BrokerHandle;
  const clients: MqttClient[] = [];

  const connect = async (options: IClientOptions) => {
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      ...options,
    });
    clients.push(client);
    return client;
  };
  /** A member that records what it gets; `hold`: it never sends a PUBACK. */
  const member = async (clientId: string, group: string, hold: boolean) => {
    const got: Got[] = [];
    // The hooks go in before the connection is made: a session's messages follow its CONNACK at once.
    const client = mqtt.connect(broker.url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId,
      clean: false,
    });
    clients.push(client);
    const internals = client as unknown as {
      handleMessage: (packet: { payload: Buffer; qos: number; dup?: boolean }, callback: () => void) => void;
      _sendPacket: (packet: { cmd: string }, callback?: () => void, ...rest: unknown[]) => void;
    };
    const send = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, callback, ...rest) => {
      if (hold && packet.cmd === 'puback') callback?.();
      else send(packet, callback, ...rest);
    };
    internals.handleMessage = (packet, callback) => {
      got.push({ payload: String(packet.payload), qos: packet.qos, dup: packet.dup === true });
      callback();
    };
    await new Promise((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    await client.subscribeAsync(`$share/${group}/devices/+/data`, { qos: 1 });
    return { client, got };
  };
  const publish = async (from: number, count: number) => {
    const publisher = await connect({ clientId: `publisher-${randomUUID()}`, clean: true });
    for (let n = from; n < from + count; n += 1)
      await publisher.publishAsync('devices/d-1/data', String(n), { qos: 1 });
    await publisher.endAsync();
  };
  /** Like SIGKILL as the broker sees it: the TCP connection drops, no DISCONNECT. */
  const kill = async (client: MqttClient) => {
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.stream.destroy();
    await closed;
    client.end(true);
  };
  const payloads = (got: Got[]) => got.map((message) => Number(message.payload));
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("keeps a killed member's unacknowledged and queued messages in its session, goes on giving it its turn while it is away, and delivers them all when it comes back under its client id", async () => {
    const group = `g-${randomUUID().slice(0, 8)}`;
    const idA = `member-a-${randomUUID()}`;
    const a = await member(idA, group, true);
    const b = await member(`member-b-${randomUUID()}`, group, false);
    await publish(0, 200);
    await eventually(
      () => b.got.length === 100,
      5000,
      () => `b's half (${b.got.length})`,
    );
    // a holds its in-flight window (20 by default) unacknowledged; the rest of its half waits in its session.
    await eventually(
      () => a.got.length === 20,
      5000,
      () => `a's in-flight window (${a.got.length})`,
    );
    await kill(a.client);
    await publish(200, 100);
    await pause(500);
    // b got nothing of a's: its half of the first 200, and half of the 100 sent while a was away.
    expect(b.got.length).toBe(150);
    expect(b.got.every((message) => !message.dup)).toBe(true);

    const back = await member(idA, group, false);
    await eventually(
      () => back.got.length === 150,
      5000,
      () => `a's session (${back.got.length})`,
    );
    // The 20 it had in flight come again marked DUP; together the two members got each message once.
    expect(back.got.filter((message) => message.dup).map((message) => Number(message.payload))).toEqual(
      payloads(a.got),
    );
    const all = [...payloads(b.got), ...payloads(back.got)].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 300 }, (_, n) => n));
  });

  it('sends an MQTT 3.1.1 client one copy, at QoS 0, of a message matching its shared QoS 1 and its plain QoS 0 subscriptions', async () => {
    const group = `g-${randomUUID().slice(0, 8)}`;
    const client = await connect({ clientId: `both-${randomUUID()}`, clean: true });
    const got: Got[] = [];
    client.on('message', (_topic, payload, packet) =>
      got.push({ payload: String(payload), qos: packet.qos, dup: packet.dup }),
    );
    await client.subscribeAsync({
      [`$share/${group}/devices/+/data`]: { qos: 1 },
      'devices/+/data': { qos: 0 },
    });
    await publish(0, 5);
    await eventually(() => got.length >= 5, 5000, 'five messages');
    await pause(300);
    expect(got.map((message) => [Number(message.payload), message.qos])).toEqual(
      Array.from({ length: 5 }, (_, n) => [n, 0]),
    );
  });
});

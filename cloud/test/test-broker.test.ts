import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { type BrokerHandle, freePort, hasMosquitto, startTestBroker } from '../src/index.js';
import { connectClient, endClients, nextMessage, quietLogger } from './mqtt-helpers.js';

describe('freePort', () => {
  it('gives a port nobody listens on, which can then be listened on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '0.0.0.0' }, resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('never gives the same port twice in a row of calls, though each is free again once given', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 200; i++) ports.push(await freePort('127.0.0.1'));
    expect(new Set(ports).size).toBe(ports.length);
  });
});

describe('startTestBroker', () => {
  const brokers: BrokerHandle[] = [];
  afterAll(async () => {
    await endClients();
    await Promise.all(brokers.map((broker) => broker.stop()));
  });

  it(`runs ${hasMosquitto() ? 'Mosquitto, which is installed' : 'aedes, as Mosquitto is not installed'}, on its own free ports`, async () => {
    const first = await startTestBroker({ logger: quietLogger });
    const second = await startTestBroker({ logger: quietLogger });
    brokers.push(first, second);
    expect(first.kind).toBe(hasMosquitto() ? 'mosquitto' : 'aedes');
    expect(new Set([first.port, first.wsPort, second.port, second.wsPort]).size).toBe(4);

    const client = await connectClient(second.url);
    await client.subscribeAsync('devices/pi-9/data', { qos: 1 });
    const received = nextMessage(client, 'devices/pi-9/data');
    const publisher = await connectClient(second.wsUrl);
    await publisher.publishAsync('devices/pi-9/data', 'reading', { qos: 1 });
    expect((await received).payload).toBe('reading');
  });

  it('runs the broker asked for', async () => {
    const broker = await startTestBroker({ kind: 'aedes', logger: quietLogger });
    brokers.push(broker);
    expect(broker.kind).toBe('aedes');
    await expect(connectClient(broker.url)).resolves.toBeDefined();
  });
});

import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerHandle, freePort, PortInUseError, startEmbeddedBroker } from '../src/index.js';
import {
  connectClient,
  endClients,
  nextMessage,
  openClient,
  quietLogger,
  whenClosed,
  whenConnected,
} from './mqtt-helpers.js';

describe('startEmbeddedBroker (aedes)', () => {
  let broker: BrokerHandle;

  beforeAll(async () => {
    broker = await startEmbeddedBroker({
      port: await freePort(),
      wsPort: await freePort(),
      logger: quietLogger,
    });
  });
  afterEach(async () => {
    await endClients();
    await broker?.start();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('delivers from TCP to WebSocket and from WebSocket to TCP', async () => {
    expect(broker.kind).toBe('aedes');
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    expect(broker.wsUrl).toBe(`ws://127.0.0.1:${broker.wsPort}`);
    const tcp = await connectClient(broker.url);
    const ws = await connectClient(broker.wsUrl);
    await tcp.subscribeAsync('devices/+/ack', { qos: 1 });
    await ws.subscribeAsync('devices/+/data', { qos: 1 });

    const toWs = nextMessage(ws, 'devices/pi-1/data');
    await tcp.publishAsync('devices/pi-1/data', '{"seq":1}', { qos: 1 });
    expect((await toWs).payload).toBe('{"seq":1}');

    const toTcp = nextMessage(tcp, 'devices/pi-1/ack');
    await ws.publishAsync('devices/pi-1/ack', '{"status":"applied"}', { qos: 1 });
    expect((await toTcp).payload).toBe('{"status":"applied"}');
  });

  it('keeps retained messages and persistent sessions in memory across stop and start', async () => {
    const session = { clientId: 'cloud-test-aedes-session', clean: false } as const;
    const device = await connectClient(broker.url, session);
    await device.subscribeAsync('devices/pi-2/commands', { qos: 1 });
    await device.publishAsync('devices/pi-2/status', '{"online":true}', { qos: 1, retain: true });
    await device.endAsync();
    const sender = await connectClient(broker.wsUrl);
    await sender.publishAsync('devices/pi-2/commands', '{"actif":false}', { qos: 1 });

    await broker.stop();
    await expect(connectClient(broker.url)).rejects.toThrow(/ECONNREFUSED/);
    await broker?.start();

    const back = openClient(broker.url, session);
    const queued = nextMessage(back, 'devices/pi-2/commands');
    await whenConnected(back);
    expect((await queued).payload).toBe('{"actif":false}');
    const retained = nextMessage(back, 'devices/pi-2/status');
    await back.subscribeAsync('devices/+/status', { qos: 1 });
    expect(await retained).toEqual({
      topic: 'devices/pi-2/status',
      payload: '{"online":true}',
      retain: true,
    });
  });

  it('stops twice without harm, and drops connected clients when it stops', async () => {
    const client = await connectClient(broker.wsUrl);
    const closed = whenClosed(client);
    await broker.stop();
    await broker.stop();
    await closed;
    expect(client.connected).toBe(false);
  });
});

describe('startEmbeddedBroker on a port that is taken', () => {
  let squatter: Server;
  let takenPort: number;

  beforeAll(async () => {
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const address = squatter.address();
    takenPort = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    await new Promise((resolve) => squatter.close(resolve));
  });

  for (const which of ['port', 'wsPort'] as const) {
    it(`rejects with a PortInUseError naming the ${which === 'port' ? 'TCP' : 'WebSocket'} port`, async () => {
      const other = await freePort();
      const ports =
        which === 'port' ? { port: takenPort, wsPort: other } : { port: other, wsPort: takenPort };
      const started = startEmbeddedBroker({ ...ports, logger: quietLogger });
      await expect(started).rejects.toBeInstanceOf(PortInUseError);
      await expect(started).rejects.toMatchObject({ code: 'EADDRINUSE', port: takenPort });
      await expect(started).rejects.toThrow(
        `Port ${takenPort} on 127.0.0.1 is already in use (EADDRINUSE), so the embedded MQTT broker (${which === 'port' ? 'TCP' : 'WebSocket'}) cannot listen there; choose another port.`,
      );
      // Nothing is left listening on the other port after the failure.
      const probe = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen({ port: other, host: '127.0.0.1' }, resolve);
      });
      await new Promise((resolve) => probe.close(resolve));
    });
  }
});

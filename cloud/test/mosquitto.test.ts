import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrokerHandle,
  defaultMosquittoConfPath,
  hasMosquitto,
  MOSQUITTO_BINARY,
  startMosquitto,
} from '../src/index.js';
import {
  connectClient,
  endClients,
  nextMessage,
  openClient,
  quietLogger,
  whenConnected,
} from './mqtt-helpers.js';

const mosquittoInstalled = hasMosquitto();
if (!mosquittoInstalled) {
  console.warn(
    `SKIPPED: the Mosquitto tests need Debian's broker at ${MOSQUITTO_BINARY} (apt-get install mosquitto mosquitto-clients).`,
  );
}

describe.skipIf(!mosquittoInstalled)('Mosquitto with cloud/mosquitto/development.conf', () => {
  let broker: BrokerHandle;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fleet-cloud-test-'));
    broker = await startMosquitto({ dataDir, logger: quietLogger });
  });
  afterEach(async () => {
    await endClients();
    await broker?.start();
  });
  afterAll(async () => {
    await broker?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('accepts anonymous clients on the TCP and the WebSocket listener', async () => {
    expect(broker.kind).toBe('mosquitto');
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    expect(broker.wsUrl).toBe(`ws://127.0.0.1:${broker.wsPort}`);
    const tcp = await connectClient(broker.url);
    const ws = await connectClient(broker.wsUrl);
    expect(tcp.connected && ws.connected).toBe(true);
  });

  it('delivers from TCP to WebSocket and from WebSocket to TCP', async () => {
    const tcp = await connectClient(broker.url);
    const ws = await connectClient(broker.wsUrl);
    await tcp.subscribeAsync('devices/+/commands', { qos: 1 });
    await ws.subscribeAsync('devices/+/data', { qos: 1 });

    const toWs = nextMessage(ws, 'devices/pi-1/data');
    await tcp.publishAsync('devices/pi-1/data', '{"temperature":21.5}', { qos: 1 });
    expect((await toWs).payload).toBe('{"temperature":21.5}');

    const toTcp = nextMessage(tcp, 'devices/pi-1/commands');
    await ws.publishAsync('devices/pi-1/commands', '{"mode":"auto"}', { qos: 1 });
    expect((await toTcp).payload).toBe('{"mode":"auto"}');
  });

  it('keeps a retained status across a restart, in its persistence folder', async () => {
    const device = await connectClient(broker.url);
    await device.publishAsync('devices/pi-2/status', '{"online":true}', { qos: 1, retain: true });
    await device.endAsync();

    await broker.stop();
    expect(existsSync(join(dataDir, 'mosquitto.db'))).toBe(true);
    await broker?.start();

    const dashboard = await connectClient(broker.wsUrl);
    const retained = nextMessage(dashboard, 'devices/pi-2/status');
    await dashboard.subscribeAsync('devices/+/status', { qos: 1 });
    expect(await retained).toEqual({
      topic: 'devices/pi-2/status',
      payload: '{"online":true}',
      retain: true,
    });
  });

  it('keeps a persistent session and its queued QoS 1 message across a restart', async () => {
    const options = { clientId: 'cloud-test-session', clean: false } as const;
    const device = await connectClient(broker.url, options);
    await device.subscribeAsync('devices/pi-3/commands', { qos: 1 });
    await device.endAsync();

    const sender = await connectClient(broker.wsUrl);
    await sender.publishAsync('devices/pi-3/commands', '{"read_now":true}', { qos: 1 });
    await broker.stop();
    await broker?.start();

    const back = openClient(broker.url, options);
    const queued = nextMessage(back, 'devices/pi-3/commands');
    const connack = await whenConnected(back);
    expect(connack.sessionPresent).toBe(true);
    expect((await queued).payload).toBe('{"read_now":true}');
  });

  it('stops for real, twice without harm, and refuses connections until started again', async () => {
    await broker.stop();
    await broker.stop();
    await expect(connectClient(broker.url)).rejects.toThrow(/ECONNREFUSED/);
    await broker?.start();
    await expect(connectClient(broker.url)).resolves.toBeDefined();
  });

  it("gives Mosquitto's own process id while it runs, a new one after a restart, and none when stopped", async () => {
    const first = broker.pid;
    expect((await readFile(`/proc/${first}/comm`, 'utf8')).trim()).toBe('mosquitto');
    await broker.stop();
    expect(broker.pid).toBeUndefined();
    await broker.start();
    expect(broker.pid).not.toBe(first);
    expect((await readFile(`/proc/${broker.pid}/comm`, 'utf8')).trim()).toBe('mosquitto');
  });
});

describe.skipIf(!mosquittoInstalled)('startMosquitto with a broken configuration', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleet-cloud-test-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("rejects with Mosquitto's own error and the configuration's name", async () => {
    const confPath = join(dir, 'typo.conf');
    const original = await readFile(defaultMosquittoConfPath(), 'utf8');
    await writeFile(confPath, `${original}\npersistance true\n`);
    const started = startMosquitto({ confPath, logger: quietLogger });
    // Should it start after all, stop it, so a failing test leaves no broker behind.
    started.then((broker) => broker.stop()).catch(() => undefined);
    await expect(started).rejects.toThrow(/exited with code \d+ before listening/);
    await expect(started).rejects.toThrow(/persistance/);
    await expect(started).rejects.toThrow(confPath);
  });
});

import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, Topics } from '@fleet/shared';
import { Aedes } from 'aedes';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeviceLink } from '../../src/mqtt/device-link.js';
import { assertBuilt, type EdgeProcess, spawnNode } from '../integration/support/edge-process.js';
import { MqttWatcher } from '../integration/support/mqtt-watcher.js';
import { captureLogger } from '../state/capture-logger.js';

const logger = createLogger('edge-test', 'silent');
const topics = new Topics();
const LINK_PROCESS = fileURLToPath(new URL('./support/link-process.mjs', import.meta.url));

function onlineStatus(deviceId: string, firmware = 'v1.0.0') {
  return JSON.stringify({ device_id: deviceId, online: true, firmware });
}

function waitForConnection(link: DeviceLink, wanted: boolean, timeoutMs = 10_000): Promise<void> {
  if (link.connected === wanted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`link not ${wanted ? 'up' : 'down'} in time`)),
      timeoutMs,
    );
    link.onConnectionChange((connected) => {
      if (connected !== wanted) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('DeviceLink against a real broker', () => {
  let broker: BrokerHandle;
  let watcher: MqttWatcher;
  const links: DeviceLink[] = [];
  const processes: EdgeProcess[] = [];

  const makeLink = (deviceId: string, root = 'devices') => {
    const link = new DeviceLink({
      deviceId,
      topics: new Topics(root),
      transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
      logger,
      initialReconnectMs: 200,
      maxReconnectMs: 1_000,
    });
    links.push(link);
    return link;
  };

  /** A link in its own process, to be SIGKILLed: its command handler holds, resolves or rejects. */
  const linkProcess = async (mode: 'hold' | 'resolve' | 'reject', deviceId: string) => {
    const child = spawnNode([LINK_PROCESS, mode, String(broker.port), deviceId]);
    processes.push(child);
    await child.waitForLine((line) => line.connected === true);
    return child;
  };

  beforeAll(() => {
    assertBuilt();
  });

  beforeEach(async () => {
    broker = await startTestBroker({ logger });
    watcher = await MqttWatcher.connect(broker.url);
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((child) => child.kill()));
    await Promise.all(links.splice(0).map((link) => link.stop()));
    await watcher.close();
    await broker.stop();
  });

  it('publishes the retained status, then online on the retained availability topic, and receives commands', async () => {
    const link = makeLink('link-1');
    const commands: string[] = [];
    link.onCommand(async (payload) => {
      commands.push(payload.toString());
    });
    link.setOnlineStatus(() => onlineStatus('link-1'));
    link.start();
    await waitForConnection(link, true);

    const availability = await watcher.waitFor(topics.availability('link-1'));
    expect(availability.text).toBe('online');
    const status = await watcher.waitFor(topics.status('link-1'));
    expect(status.json).toEqual({ device_id: 'link-1', online: true, firmware: 'v1.0.0' });
    expect(watcher.messages.indexOf(status)).toBeLessThan(watcher.messages.indexOf(availability));

    // A late subscriber gets both retained copies.
    expect((await MqttWatcher.retained(broker.url, topics.status('link-1'))).retain).toBe(true);
    const retained = await MqttWatcher.retained(broker.url, topics.availability('link-1'));
    expect([retained.text, retained.retain]).toEqual(['online', true]);

    await watcher.publish(topics.commands('link-1'), { mode: 'manuel' });
    await watcher.publish(topics.commands('other'), { mode: 'auto' });
    await expect.poll(() => commands).toEqual(['{"mode":"manuel"}']);
    expect(link.clientId).toBe('edge-link-1');
  });

  it('resolves publish on PUBACK and counts what was published', async () => {
    const link = makeLink('link-2');
    link.start();
    await waitForConnection(link, true);
    await link.publish(topics.data('link-2'), '{"n":1}');
    await link.publish(topics.data('link-2'), '{"n":2}');
    expect(link.stats).toEqual({ connected: true, published: 3, reconnects: 0 }); // and `online`
    const seen = await watcher.waitForCount(topics.data('link-2'), 2);
    expect(seen.map((message) => message.json)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(seen.every((message) => !message.retain)).toBe(true);
  });

  it('waits for a broker that is not up yet, and reconnects after an outage, online again each time', async () => {
    await watcher.close();
    await broker.stop();
    const link = makeLink('link-3');
    const changes: boolean[] = [];
    link.onConnectionChange((connected) => changes.push(connected));
    link.setOnlineStatus(() => onlineStatus('link-3'));
    link.start();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(link.connected).toBe(false);

    await broker.start();
    await waitForConnection(link, true);
    // A persistent session: what is published while this watcher reconnects reaches it afterwards.
    watcher = await MqttWatcher.connect(broker.url, 'devices/#', 'watcher-link-3');
    await watcher.waitFor(topics.availability('link-3'), (message) => message.text === 'online');

    await broker.stop();
    await waitForConnection(link, false);
    await broker.start();
    await waitForConnection(link, true);
    // Live (not the retained copy a new subscription gets): published again at the reconnect.
    await watcher.waitFor(
      topics.availability('link-3'),
      (message) => message.text === 'online' && !message.retain,
    );
    expect(changes).toEqual([true, false, true]);
    expect(link.stats.reconnects).toBe(1);
  });

  it('says offline on the availability topic on stop, and leaves the retained status as it was', async () => {
    const link = makeLink('link-4');
    link.setOnlineStatus(() => onlineStatus('link-4', 'v1.2.3'));
    link.start();
    await waitForConnection(link, true);
    await watcher.waitFor(topics.availability('link-4'), (message) => message.text === 'online');
    await link.stop();
    expect(link.connected).toBe(false);

    const availability = await MqttWatcher.retained(broker.url, topics.availability('link-4'));
    expect([availability.text, availability.retain]).toEqual(['offline', true]);
    const status = await MqttWatcher.retained(broker.url, topics.status('link-4'));
    expect(status.json).toEqual({ device_id: 'link-4', online: true, firmware: 'v1.2.3' });
    await expect(link.publish(topics.data('link-4'), '{}')).rejects.toThrow(/not running/);
  });

  it('has the broker say offline when the device dies (its last will), and the retained status stays', async () => {
    const child = await linkProcess('resolve', 'link-will');
    await watcher.waitFor(topics.availability('link-will'), (message) => message.text === 'online');
    await child.kill();
    const will = await watcher.waitFor(
      topics.availability('link-will'),
      (message) => message.text === 'offline',
    );
    expect(will.text).toBe('offline');
    expect((await MqttWatcher.retained(broker.url, topics.availability('link-will'))).text).toBe('offline');
    const status = await MqttWatcher.retained(broker.url, topics.status('link-will'));
    expect(status.json).toEqual({ device_id: 'link-will', online: true, firmware: 'v1.0.0' });
  });

  it('stops within its deadline when the broker is gone, rejecting what was waiting', async () => {
    const link = makeLink('link-5');
    link.start();
    await waitForConnection(link, true);
    await watcher.close();
    await broker.stop();
    await waitForConnection(link, false);
    const waiting = link.publish(topics.data('link-5'), '{"n":1}');
    const started = Date.now();
    await link.stop();
    expect(Date.now() - started).toBeLessThan(4_000);
    await expect(waiting).rejects.toThrow(/stopped/);
    await broker.start();
    watcher = await MqttWatcher.connect(broker.url);
  });

  it('uses MQTT_TOPIC_ROOT for every topic: status, availability, will and commands', async () => {
    const root = new Topics('home/sensors');
    const rootWatcher = await MqttWatcher.connect(broker.url, 'home/sensors/#');
    try {
      const link = makeLink('link-root', 'home/sensors');
      const commands: string[] = [];
      link.onCommand(async (payload) => {
        commands.push(payload.toString());
      });
      link.setOnlineStatus(() => onlineStatus('link-root'));
      link.start();
      await waitForConnection(link, true);
      await rootWatcher.waitFor(root.status('link-root'));
      await rootWatcher.waitFor(root.availability('link-root'), (message) => message.text === 'online');
      await rootWatcher.publish(root.commands('link-root'), { read_now: true });
      await watcher.publish(topics.commands('link-root'), { mode: 'manuel' });
      await expect.poll(() => commands).toEqual(['{"read_now":true}']);
      await link.stop();
      await rootWatcher.waitFor(root.availability('link-root'), (message) => message.text === 'offline');
      expect(watcher.messages.filter((message) => message.topic.includes('link-root'))).toEqual([
        expect.objectContaining({ topic: topics.commands('link-root') }),
      ]);
    } finally {
      await rootWatcher.close();
    }
  });

  describe('acknowledges a command only once its handler has settled', () => {
    /**
     * Runs a link in its own process until it has received `command` (and, unless it holds, until its PUBACK
     * or the absence of one has reached the broker), then SIGKILLs it.
     */
    const receiveThenDie = async (mode: 'hold' | 'resolve' | 'reject', deviceId: string, command: object) => {
      const child = await linkProcess(mode, deviceId);
      await watcher.publish(topics.commands(deviceId), command);
      await child.waitForLine((line) => line.received === JSON.stringify(command));
      if (mode !== 'hold')
        await watcher.waitFor(topics.data(deviceId), (message) => message.text === 'settled');
      await child.kill();
    };

    /** The same device back (same client id, same session); gives the commands it receives, in order. */
    const comeBack = async (deviceId: string) => {
      const received: string[] = [];
      const link = makeLink(deviceId);
      link.onCommand(async (payload) => {
        received.push(payload.toString());
      });
      link.start();
      await waitForConnection(link, true);
      // A command sent now comes after anything the broker delivers again at the connection.
      await watcher.publish(topics.commands(deviceId), { command_id: 'after' });
      await expect.poll(() => received, { timeout: 10_000 }).toContain('{"command_id":"after"}');
      return received;
    };

    it('a device killed while its handler runs gets the command again from the broker when it comes back', async () => {
      await receiveThenDie('hold', 'puback-hold', { command_id: 'c1', mode: 'manuel' });
      expect(await comeBack('puback-hold')).toEqual([
        '{"command_id":"c1","mode":"manuel"}',
        '{"command_id":"after"}',
      ]);
    });

    it('a command whose handler resolved is acknowledged: not delivered again', async () => {
      await receiveThenDie('resolve', 'puback-done', { command_id: 'c2', mode: 'manuel' });
      expect(await comeBack('puback-done')).toEqual(['{"command_id":"after"}']);
    });

    it('a command whose handler rejected (nothing could be recorded) is left with the broker, delivered again', async () => {
      await receiveThenDie('reject', 'puback-failed', { command_id: 'c3', mode: 'manuel' });
      expect(await comeBack('puback-failed')).toEqual([
        '{"command_id":"c3","mode":"manuel"}',
        '{"command_id":"after"}',
      ]);
    });

    it('reads on (telemetry PUBACKs included) after a handler that does not settle in time, without acknowledging it', async () => {
      const { logger: captured, lines } = captureLogger();
      const link = new DeviceLink({
        deviceId: 'puback-slow',
        topics,
        transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
        logger: captured,
        commandTimeoutMs: 500,
      });
      links.push(link);
      const received: string[] = [];
      link.onCommand((payload) => {
        received.push(payload.toString());
        return new Promise(() => undefined);
      });
      link.start();
      await waitForConnection(link, true);
      await watcher.publish(topics.commands('puback-slow'), { command_id: 'slow' });
      await expect.poll(() => received).toEqual(['{"command_id":"slow"}']);
      // While the handler holds, mqtt.js reads no packet: this publish's PUBACK waits behind it.
      await link.publish(topics.data('puback-slow'), '{"n":1}');
      expect(
        lines.find((line) => String(line.msg).startsWith('a command could not be recorded')),
      ).toMatchObject({
        level: 50,
        msg: 'a command could not be recorded (timed out after 500 ms); it is not acknowledged, so the broker delivers it again at the next connection',
      });
      await link.stop();
      expect(await comeBack('puback-slow')).toEqual(['{"command_id":"slow"}', '{"command_id":"after"}']);
    });
  });
});

describe('DeviceLink when the broker refuses its command subscription', () => {
  it('says in one error line that the credential is not this device’s, and still goes on', async () => {
    // A broker whose ACL lets the login in but refuses the subscription (Mosquitto's own ACL binds each
    // credential to its client id first, so this is what another broker, or another ACL, would do).
    const broker = await Aedes.createBroker({
      // No subscription and no error: aedes answers SUBACK 0x80 (an error would close the connection).
      authorizeSubscribe: (_client, _subscription, callback) => callback(null, null),
    });
    const server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const { logger: captured, lines } = captureLogger();
    const link = new DeviceLink({
      deviceId: 'pi-7',
      topics,
      transport: { host: '127.0.0.1', port, protocol: 'mqtt', username: 'pi-8' },
      logger: captured,
      initialReconnectMs: 200,
      maxReconnectMs: 1_000,
    });
    try {
      link.start();
      await waitForConnection(link, true);
      const refusal = lines.find((line) => String(line.msg).includes('refused the subscription'));
      expect(refusal).toMatchObject({
        level: 50,
        msg: `The MQTT broker mqtt://127.0.0.1:${port} refused the subscription to devices/pi-7/commands for user "pi-8": on the fleet's broker a device's credential holds only its own topics, so MQTT_USERNAME must be the device id (pi-7). Commands will not arrive, and readings may be dropped by the broker.`,
      });
    } finally {
      await link.stop();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

import { type AddressInfo, createServer } from 'node:net';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, parseStatus, topics } from '@fleet/shared';
import { Aedes } from 'aedes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceLink } from '../../src/mqtt/device-link.js';
import { MqttWatcher } from '../integration/support/mqtt-watcher.js';
import { captureLogger } from '../state/capture-logger.js';

const logger = createLogger('edge-test', 'silent');

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

  const makeLink = (deviceId: string) => {
    const link = new DeviceLink({
      deviceId,
      transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
      logger,
      initialReconnectMs: 200,
      maxReconnectMs: 1_000,
    });
    links.push(link);
    return link;
  };

  beforeEach(async () => {
    broker = await startTestBroker({ logger });
    watcher = await MqttWatcher.connect(broker.url);
  });

  afterEach(async () => {
    await Promise.all(links.splice(0).map((link) => link.stop()));
    await watcher.close();
    await broker.stop();
  });

  it('publishes the retained online status on connect and receives commands', async () => {
    const link = makeLink('link-1');
    const commands: string[] = [];
    link.onCommand((payload) => commands.push(payload.toString()));
    link.setOnlineStatus(() => onlineStatus('link-1'));
    link.start();
    await waitForConnection(link, true);

    const status = await watcher.waitFor(topics.status('link-1'));
    expect(status.json).toEqual({ device_id: 'link-1', online: true, firmware: 'v1.0.0' });

    // A late subscriber gets the retained copy.
    const late = await MqttWatcher.connect(broker.url, topics.status('link-1'));
    const retained = await late.waitFor(topics.status('link-1'));
    expect(retained.retain).toBe(true);
    await late.close();

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
    expect(link.stats).toEqual({ connected: true, published: 2, reconnects: 0 });
    const seen = await watcher.waitForCount(topics.data('link-2'), 2);
    expect(seen.map((message) => message.json)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(seen.every((message) => !message.retain)).toBe(true);
  });

  it('waits for a broker that is not up yet, and reconnects after an outage', async () => {
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
    watcher = await MqttWatcher.connect(broker.url);
    await watcher.waitFor(
      topics.status('link-3'),
      (message) => (message.json as { online?: boolean }).online === true,
    );

    await watcher.close();
    await broker.stop();
    await waitForConnection(link, false);
    await broker.start();
    await waitForConnection(link, true);
    watcher = await MqttWatcher.connect(broker.url);
    expect(changes).toEqual([true, false, true]);
    expect(link.stats.reconnects).toBe(1);
  });

  it('says goodbye with a retained offline status on stop', async () => {
    const link = makeLink('link-4');
    link.setOnlineStatus(() => onlineStatus('link-4'));
    link.start();
    await waitForConnection(link, true);
    await link.stop();
    expect(link.connected).toBe(false);

    const late = await MqttWatcher.connect(broker.url, topics.status('link-4'));
    const status = await late.waitFor(topics.status('link-4'));
    await late.close();
    const parsed = parseStatus(status.text);
    expect(parsed.ok && parsed.value.online).toBe(false);
    expect(status.retain).toBe(true);
    await expect(link.publish(topics.data('link-4'), '{}')).rejects.toThrow(/not running/);
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

import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, parseStatus, topics } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceLink } from '../../src/mqtt/device-link.js';
import { MqttWatcher } from '../integration/support/mqtt-watcher.js';

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

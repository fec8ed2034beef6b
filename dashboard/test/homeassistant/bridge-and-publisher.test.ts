import { COMMAND_ACTIONS, HaTopics, Topics } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import type { DeviceSummary } from '../../src/api-types.js';
import type { CommandSender } from '../../src/commands/command-service.js';
import { BrokerUnavailableError, ValidationError } from '../../src/errors.js';
import { DashboardEvents } from '../../src/events.js';
import { CommandBridge } from '../../src/homeassistant/command-bridge.js';
import { DiscoveryPublisher } from '../../src/homeassistant/discovery-publisher.js';
import type { IncomingMessage } from '../../src/mqtt/broker-connection.js';
import { capturingLogger, eventually, ManualClock, onlineStatus, quietLogger } from '../server/fixtures.js';

const topics = new Topics('devices');

function bridgeWith(send: (body: unknown) => Promise<{ status: 'success'; command_id: string }>) {
  const sent: Array<{ body: unknown; by: CommandSender }> = [];
  const clock = new ManualClock(Date.parse('2026-12-01T06:00:00Z'));
  const { logger, lines } = capturingLogger('info');
  const bridge = new CommandBridge({
    commands: {
      send: async (body, _wait, by) => {
        sent.push({ body, by });
        return send(body);
      },
    },
    topics,
    clock,
    logger,
  });
  return { bridge, sent, clock, lines };
}

const message = (payload: string, extra: Partial<IncomingMessage> = {}): IncomingMessage => ({
  topic: 'devices/pi-1/set',
  payload: Buffer.from(payload),
  retain: false,
  dup: false,
  messageId: 7,
  ...extra,
});

describe('the command bridge', () => {
  it("sends a set message through the command service as the device's command, by homeassistant", async () => {
    const { bridge, sent } = bridgeWith(async () => ({ status: 'success', command_id: 'c-1' }));
    await bridge.handle(message('{"intervalle": 30}'));
    expect(sent).toEqual([
      { body: { intervalle: 30, device_id: 'pi-1' }, by: { name: 'homeassistant', kind: 'mqtt' } },
    ]);
  });

  it('does not send a redelivery (DUP) of a message it sent, but does send the same command sent anew', async () => {
    const { bridge, sent } = bridgeWith(async () => ({ status: 'success', command_id: 'c-1' }));
    await bridge.handle(message('{"read_now": true}'));
    expect(bridge.handle(message('{"read_now": true}', { dup: true }))).toBeUndefined();
    await bridge.handle(message('{"read_now": true}'));
    await bridge.handle(message('{"read_now": true}', { dup: true, messageId: 8 }));
    expect(sent).toHaveLength(3);
  });

  it('forgets what it sent after a while', async () => {
    const { bridge, sent, clock } = bridgeWith(async () => ({ status: 'success', command_id: 'c-1' }));
    await bridge.handle(message('{"read_now": true}'));
    clock.advance(600_001);
    await bridge.handle(message('{"read_now": true}', { dup: true }));
    expect(sent).toHaveLength(2);
  });

  it.each([
    [
      'not JSON',
      message('intervalle=30'),
      `The message received "intervalle=30", which is not JSON; accepted: a JSON object with at least one of ${COMMAND_ACTIONS.join(', ')}.`,
    ],
    [
      'retained',
      message('{"intervalle": 30}', { retain: true }),
      'The message on devices/pi-1/set is retained; accepted: a command published without retain (a retained one would be sent again at every start).',
    ],
    [
      'for another device',
      message('{"intervalle": 30, "device_id": "pi-2"}'),
      'Field "device_id" received "pi-2"; accepted: "pi-1", the device of the topic, or nothing.',
    ],
  ])('sends nothing for a message %s, and logs one sentence', (_what, incoming, error) => {
    const { bridge, sent, lines } = bridgeWith(async () => ({ status: 'success', command_id: 'c-1' }));
    expect(bridge.handle(incoming)).toBeUndefined();
    expect(sent).toEqual([]);
    expect(lines.map((line) => line.error)).toEqual([error]);
  });

  it("acknowledges a command the service refuses, with the service's sentence logged", async () => {
    const refusal = 'Field "intervalle" received 0; accepted: a whole number of seconds from 1 to 60.';
    const { bridge, lines } = bridgeWith(async () => {
      throw new ValidationError(refusal);
    });
    await expect(bridge.handle(message('{"intervalle": 0}'))).resolves.toBeUndefined();
    expect(lines.map((line) => line.error)).toEqual([refusal]);
  });

  it('holds the acknowledgement when the broker did not take the command (it comes again)', async () => {
    const { bridge } = bridgeWith(async () => {
      throw new BrokerUnavailableError('The MQTT broker is not reachable, so the command was not sent.');
    });
    await expect(bridge.handle(message('{"intervalle": 30}'))).rejects.toThrow(/not reachable/);
  });
});

function summary(id: string, firmware: string, source: 'bme280' | 'bmp280' = 'bme280'): DeviceSummary {
  const status = onlineStatus(id, {
    firmware,
    sensor: { source, bus: 1, address: '0x76', healthy: true, error: null },
  });
  return {
    device_id: id,
    online: true,
    last_seen: null,
    firmware,
    settings: null,
    ota: status.ota,
    sensor: status.sensor,
    alerte: false,
    latest: null,
    delivery: { received: 0, lost: 0, conflicts: 0 },
    epoch: null,
    epoch_reason: null,
    clock_synced: null,
  };
}

function publisherWith(
  devices: Map<string, DeviceSummary>,
  configuredLatest: string | null = null,
  logger = quietLogger(),
) {
  const published: Array<{ topic: string; payload: string; retain: boolean }> = [];
  const broker = {
    connected: true,
    failNext: 0,
    async publish(topic: string, payload: string, options?: { retain?: boolean }) {
      if (broker.failNext > 0) {
        broker.failNext -= 1;
        throw new Error('The MQTT broker did not acknowledge the publish within 5000 ms.');
      }
      published.push({ topic, payload, retain: options?.retain === true });
    },
  };
  const events = new DashboardEvents();
  const publisher = new DiscoveryPublisher({
    broker,
    fleet: { ids: () => [...devices.keys()].sort(), summary: (id) => devices.get(id) ?? null },
    events,
    context: { topics, ha: new HaTopics(), origin: { name: 'test', sw: '0' } },
    configuredLatest,
    logger,
    paceMs: 1,
    retryMs: 5,
  });
  return { publisher, published, broker, events };
}

describe('the discovery publisher', () => {
  it('publishes every device retained at start, again on a change of firmware or sensor, not on a reading', async () => {
    const devices = new Map([['pi-1', summary('pi-1', 'v1.0.0')]]);
    const { publisher, published, events } = publisherWith(devices, 'v2.0.0');
    publisher.start();
    await eventually(() => published.length === 1);
    expect(published[0]).toMatchObject({ topic: 'homeassistant/device/pi-1/config', retain: true });
    events.emit('device', summary('pi-1', 'v1.0.0'));
    events.emit('device', summary('pi-1', 'v1.0.0'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(published).toHaveLength(1);
    const bmp = summary('pi-1', 'v1.0.0', 'bmp280');
    devices.set('pi-1', bmp);
    events.emit('device', bmp);
    await eventually(() => published.length === 2);
    expect(JSON.parse(published[1]?.payload ?? '{}').components.humidity).toBeUndefined();
    await publisher.stop();
  });

  it('logs its rounds with the device count in the right number (1 device, 2 devices)', async () => {
    const { logger, lines } = capturingLogger('info');
    const devices = new Map([['pi-1', summary('pi-1', 'v1.0.0')]]);
    const one = publisherWith(devices, 'v2.0.0', logger);
    one.publisher.start();
    await eventually(() => lines.some((line) => String(line.msg).includes('published for')));
    await one.publisher.stop();
    devices.set('pi-2', summary('pi-2', 'v1.0.0'));
    const two = publisherWith(devices, 'v2.0.0', logger);
    two.publisher.start();
    await eventually(() => lines.filter((line) => String(line.msg).includes('published for')).length === 2);
    await two.publisher.stop();
    expect(lines.map((line) => line.msg).filter((msg) => String(msg).includes('discovery'))).toEqual([
      'Publishing the Home Assistant discovery of 1 device',
      'Home Assistant discovery published for 1 device',
      'Publishing the Home Assistant discovery of 2 devices',
      'Home Assistant discovery published for 2 devices',
    ]);
  });

  it('offers the newest firmware in the fleet and republishes every device when it changes', async () => {
    const devices = new Map([
      ['pi-1', summary('pi-1', 'v1.0.0')],
      ['pi-2', summary('pi-2', 'v1.0.0')],
    ]);
    const { publisher, published, events } = publisherWith(devices);
    publisher.start();
    await eventually(() => published.length === 2);
    const upgraded = summary('pi-2', 'v1.1.0');
    devices.set('pi-2', upgraded);
    events.emit('device', upgraded);
    await eventually(() => published.length === 4);
    const pi1 = JSON.parse(
      published.find((p, index) => index >= 2 && p.topic.includes('pi-1'))?.payload ?? '{}',
    );
    expect(pi1.components.firmware.payload_install).toBe('{"update_firmware":"v1.1.0"}');
    await publisher.stop();
  });

  it('removes a forgotten device with an empty retained payload, and tries again what the broker did not take', async () => {
    const devices = new Map([['pi-1', summary('pi-1', 'v1.0.0')]]);
    const { publisher, published, events, broker } = publisherWith(devices);
    broker.failNext = 2;
    publisher.start();
    await eventually(() => published.length === 1);
    devices.delete('pi-1');
    events.emit('forgotten', { device_id: 'pi-1' });
    await eventually(() => published.length === 2);
    expect(published[1]).toEqual({ topic: 'homeassistant/device/pi-1/config', payload: '', retain: true });
    await publisher.stop();
  });

  it('waits while the broker is away, and republishes everything on republishAll', async () => {
    const devices = new Map([['pi-1', summary('pi-1', 'v1.0.0')]]);
    const { publisher, published, broker } = publisherWith(devices);
    broker.connected = false;
    publisher.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(published).toEqual([]);
    broker.connected = true;
    await eventually(() => published.length === 1);
    publisher.republishAll('homeassistant_online');
    await eventually(() => published.length === 2);
    expect(publisher.waiting).toBe(0);
    await publisher.stop();
  });
});

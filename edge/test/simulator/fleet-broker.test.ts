import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import {
  createLogger,
  mqttTransportOptions,
  numberedDeviceIds,
  parseAck,
  parseStatus,
  parseTelemetry,
  Topics,
  topics,
} from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_CALIBRATION } from '../../src/device/settings.js';
import { FleetSimulator } from '../../src/simulator/fleet-simulator.js';
import { MqttWatcher } from '../integration/support/mqtt-watcher.js';

const logger = createLogger('simulator-test', 'silent');

/** A few simulated devices in this process against the real broker (Mosquitto's development profile). */
describe('FleetSimulator against a real broker', () => {
  let broker: BrokerHandle;
  let watcher: MqttWatcher;
  let fleet: FleetSimulator | null = null;

  const simulate = async (ids: string[], interval = 1) => {
    const transport = await mqttTransportOptions({
      host: broker.host,
      port: broker.port,
      tls: false,
      caCert: null,
      servername: null,
      username: null,
      password: null,
    });
    fleet = new FleetSimulator({
      ids,
      topics: new Topics(),
      transportFor: () => transport,
      settings: { mode: 'auto', intervalle: interval, seuil_alerte: 30, actif: true, ...NO_CALIBRATION },
      firmware: 'v1.0.0',
      rate: 100,
      logger,
      deviceLogger: () => logger,
      device: { otaStepMs: 20 },
    });
    fleet.start();
    return fleet;
  };

  beforeEach(async () => {
    broker = await startTestBroker({ kind: 'mosquitto' });
    watcher = await MqttWatcher.connect(broker.url);
  });
  afterEach(async () => {
    await fleet?.stop();
    fleet = null;
    await watcher.close();
    await broker.stop();
  });

  it('each device publishes contract-valid readings with contiguous seq, its status and online', async () => {
    const ids = numberedDeviceIds({ prefix: 'sim-', devices: 3, first: 1 });
    expect(ids).toEqual(['sim-00001', 'sim-00002', 'sim-00003']);
    const running = await simulate(ids);
    await expect.poll(() => running.stats().connected, { timeout: 10_000 }).toBe(3);
    for (const id of ids) {
      const seen = await watcher.waitForCount(topics.data(id), 3);
      const readings = seen.map((message) => {
        const parsed = parseTelemetry(message.text);
        if (!parsed.ok) throw new Error(`${id}: ${parsed.error}`);
        return parsed.value;
      });
      expect(readings.map((reading) => reading.seq)).toEqual([0, 1, 2]);
      expect(new Set(readings.map((reading) => reading.epoch)).size).toBe(1);
      expect(readings[0]).toMatchObject({ device_id: id, v: 2, source: 'synthetic', clock_synced: true });
      const status = parseStatus((await watcher.waitFor(topics.status(id))).text);
      expect(status.ok && status.value).toMatchObject({
        device_id: id,
        online: true,
        epoch_reason: 'first_start',
      });
      expect((await watcher.waitFor(topics.availability(id))).text).toBe('online');
    }
    // The broker's PUBACKs may come a moment after the watcher saw the readings.
    await expect.poll(() => running.stats().delivered, { timeout: 5_000 }).toBeGreaterThanOrEqual(9);
    const stats = running.stats();
    // The acknowledged messages count each device's status and availability besides its readings.
    expect(stats.published).toBeGreaterThanOrEqual(stats.delivered + 6);
    expect(stats).toMatchObject({ devices: 3, started: 3, connected: 3, dropped: 0 });
  });

  it('answers a command with an ack and applies an OTA update, then says offline when stopped', async () => {
    const [id = ''] = numberedDeviceIds({ prefix: 'cmd-', devices: 1, first: 7 });
    const running = await simulate([id], 5);
    await expect.poll(() => running.stats().connected, { timeout: 10_000 }).toBe(1);

    await watcher.publish(topics.commands(id), { command_id: 'c-1', intervalle: 2 });
    const ack = parseAck((await watcher.waitFor(topics.ack(id))).text);
    expect(ack.ok && ack.value).toMatchObject({
      command_id: 'c-1',
      status: 'applied',
      settings: { intervalle: 2 },
    });
    expect(running.devices[0]?.device.settings.intervalle).toBe(2);

    await watcher.publish(topics.commands(id), { command_id: 'ota-1', update_firmware: 'v1.2.0' });
    const updated = await watcher.waitFor(topics.status(id), (message) => {
      const status = parseStatus(message.text);
      return status.ok && status.value.online && status.value.ota.state === 'succeeded';
    });
    const status = parseStatus(updated.text);
    expect(status.ok && status.value).toMatchObject({
      firmware: 'v1.2.0',
      ota: { target_version: 'v1.2.0' },
    });
    // Readings after the update carry the new firmware.
    await watcher.waitFor(topics.data(id), (message) => message.text.includes('"firmware":"v1.2.0"'));

    await running.stop();
    await watcher.waitFor(topics.availability(id), (message) => message.text === 'offline');
    expect(running.stats().connected).toBe(0);
  });
});

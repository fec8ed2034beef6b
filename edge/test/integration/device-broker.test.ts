import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, parseAck, parseTelemetry, type Telemetry, topics } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClockFloor } from '../../src/clock/clock-floor.js';
import { SystemDeviceClock } from '../../src/clock/system-device-clock.js';
import { loadEdgeConfig } from '../../src/config.js';
import { type OpenedDevice, openDevice } from '../../src/device/open-device.js';
import { createAlertLed } from '../../src/gpio/alert-led.js';
import { selectSensor } from '../../src/sensor/select-sensor.js';
import type { SensorReader } from '../../src/sensor/types.js';
import { MqttWatcher } from './support/mqtt-watcher.js';

/** The Device class in this process, with its real link, outbox and state files, against the real broker. */

const logger = createLogger('edge-test', 'silent');

describe('Device in process against a real broker', () => {
  let broker: BrokerHandle;
  let dataDir: string;
  let watcher: MqttWatcher | null = null;
  const opened: OpenedDevice[] = [];

  const open = async (deviceId: string, env: Record<string, string> = {}, sensor?: SensorReader) => {
    const config = loadEdgeConfig(
      {
        MQTT_BROKER: broker.host,
        MQTT_PORT: String(broker.port),
        DEVICE_ID: deviceId,
        SENSOR: 'synthetic',
        DATA_DIR: dataDir,
        PUBLISH_INTERVAL: '1',
        ...env,
      },
      'test-host',
    );
    // The real clocks; the floor judges them synchronised (this build machine's kernel says it is not).
    const clock = new SystemDeviceClock({
      source: 'floor',
      floor: new ClockFloor({ file: null, logger }),
      logger,
    });
    const reader =
      sensor ??
      (await selectSensor({
        sensor: 'synthetic',
        bus: config.i2cBus,
        address: config.i2cAddress,
        clock,
        logger,
      }));
    const led = await createAlertLed({ bcmPin: null, logger });
    const device = await openDevice({
      config,
      logger,
      clock,
      reader,
      led,
      link: { initialReconnectMs: 200, maxReconnectMs: 1_000 },
    });
    opened.push(device);
    return device;
  };

  beforeEach(async () => {
    broker = await startTestBroker({ logger });
    dataDir = await mkdtemp(join(tmpdir(), 'edge-device-'));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map(({ device }) => device.stop()));
    await watcher?.close();
    watcher = null;
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps readings taken while the broker is down on disk across a restart, and delivers them all', async () => {
    const id = 'inproc-outbox';
    await broker.stop();
    const first = await open(id);
    first.device.start();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await first.device.stop();

    await broker.start();
    watcher = await MqttWatcher.connect(broker.url, topics.data(id));
    const second = await open(id);
    const queued = second.store.outbox.size;
    expect(queued).toBeGreaterThanOrEqual(2);
    second.device.start();
    const seen = (await watcher.waitForCount(topics.data(id), queued + 1)).map((message) => {
      const parsed = parseTelemetry(message.text);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.value;
    });
    // A clean stop keeps the epoch, and seq goes on from where it was, with no gap.
    expect(seen.map((reading) => reading.seq)).toEqual(Array.from({ length: queued + 1 }, (_, seq) => seq));
    expect(new Set(seen.map((reading) => reading.epoch)).size).toBe(1);
  });

  it('applies a command sent while the device was away, thanks to its persistent session', async () => {
    const id = 'inproc-session';
    watcher = await MqttWatcher.connect(broker.url, topics.ack(id));
    const first = await open(id, { MODE: 'manuel' });
    first.device.start();
    await expect.poll(() => first.link.connected, { timeout: 5_000 }).toBe(true);
    await first.device.stop();

    await watcher.publish(topics.commands(id), { seuil_alerte: 21.5, command_id: 'while-away' });
    const second = await open(id, { MODE: 'manuel' });
    second.device.start();
    const ack = parseAck((await watcher.waitFor(topics.ack(id))).text);
    expect(ack.ok && ack.value).toMatchObject({
      command_id: 'while-away',
      status: 'applied',
      settings: { seuil_alerte: 21.5 },
    });
    expect(second.device.settings.seuil_alerte).toBe(21.5);
  });

  it('a mosquitto_pub of {"altitude": 500} is acked, and the readings after it give sea-level pressure', async () => {
    const id = 'inproc-altitude';
    watcher = await MqttWatcher.connect(broker.url);
    // A sensor that always measures 1000 hPa at 15 °C: 1060.7 hPa at sea level from 500 m (calibration.test.ts).
    const steady: SensorReader = {
      source: 'synthetic',
      bus: null,
      address: null,
      read: async () => ({ temperature: 15, humidite: 50, pression: 1000 }),
      close: async () => {},
    };
    const { device } = await open(id, {}, steady);
    device.start();
    const data = (message: { json: unknown }) => message.json as Telemetry;
    expect(data(await watcher.waitFor(topics.data(id))).pression).toBe(1000);

    await new Promise<void>((resolve, reject) => {
      const args = ['-h', broker.host, '-p', String(broker.port), '-q', '1', '-t', topics.commands(id)];
      execFile('mosquitto_pub', [...args, '-m', '{"altitude": 500}'], (error) =>
        error ? reject(error) : resolve(),
      );
    });
    const ack = parseAck((await watcher.waitFor(topics.ack(id))).text);
    expect(ack.ok && ack.value).toMatchObject({
      status: 'applied',
      command_id: null,
      settings: { altitude: 500 },
    });
    const acked = watcher.on(topics.data(id)).length;
    const after = await watcher.waitForCount(topics.data(id), acked + 2);
    // The reading numbered right after the ack may have been taken just before it; the next one is not.
    expect(data(after.at(-1) as { json: unknown }).pression).toBe(1060.7);
    const status = await MqttWatcher.retained(broker.url, topics.status(id));
    expect(status.json).toMatchObject({ altitude: 500, correction_pression: 0 });
  });
});

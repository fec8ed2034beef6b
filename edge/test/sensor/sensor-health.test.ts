import type { SensorStatus } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openBmx280Reader } from '../../src/sensor/bmx280-reader.js';
import { GuardedSensor } from '../../src/sensor/sensor-health.js';
import type { Reading, SensorReader } from '../../src/sensor/types.js';
import { BMP280_DATASHEET_RAW, emulatedBme280 } from '../fixtures/emulated-bme280.js';
import { EmulatedI2cAdapter } from '../fixtures/emulated-i2c-bus.js';
import { captureLogger } from './log-capture.js';

const READING: Reading = { temperature: 21.5, humidite: 40, pression: 1000 };

/** A reader that fails a set number of times, recording when it was asked (in fake-timer time). */
class ScriptedReader implements SensorReader {
  readonly source = 'bme280' as const;
  readonly bus = 1;
  readonly address = '0x76';
  readonly attempts: number[] = [];
  failuresLeft = 0;
  closed = false;

  constructor(private readonly start: number) {}

  async read(): Promise<Reading> {
    this.attempts.push(Date.now() - this.start);
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error(`Reading the BME280 at 0x76 on I²C bus 1 failed: EIO, i/o error`);
    }
    return READING;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function setup(failures = 0) {
  const log = captureLogger();
  const reader = new ScriptedReader(Date.now());
  reader.failuresLeft = failures;
  const changes: SensorStatus[] = [];
  const sensor = new GuardedSensor(reader, {
    logger: log.logger,
    onChange: (status) => changes.push(status),
  });
  return { log, reader, sensor, changes };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('GuardedSensor', () => {
  it('passes readings through while healthy', async () => {
    const { sensor, log, changes } = setup();
    sensor.start();
    expect(await sensor.read()).toEqual(READING);
    expect(sensor.status()).toEqual({
      source: 'bme280',
      bus: 1,
      address: '0x76',
      healthy: true,
      error: null,
    });
    expect(log.at('warn')).toHaveLength(0);
    expect(changes).toHaveLength(0);
    sensor.stop();
  });

  it('turns faulty on a read error: null, one warning, listeners told, no more reads from the caller', async () => {
    const { sensor, reader, log, changes } = setup(1);
    sensor.start();
    expect(await sensor.read()).toBeNull();
    const faulty = {
      source: 'bme280',
      bus: 1,
      address: '0x76',
      healthy: false,
      error: 'Reading the BME280 at 0x76 on I²C bus 1 failed: EIO, i/o error',
    };
    expect(sensor.status()).toEqual(faulty);
    expect(changes).toEqual([faulty]);
    expect(log.at('warn')).toHaveLength(1);
    expect(log.at('warn')[0]?.msg).toContain('EIO, i/o error');
    expect(await sensor.read()).toBeNull();
    expect(reader.attempts).toHaveLength(1);
    sensor.stop();
  });

  it('retries after 1 s, 2 s, 4 s … at most 30 s, then recovers and says so once', async () => {
    const { sensor, reader, log, changes } = setup(8);
    sensor.start();
    await sensor.read();
    await vi.advanceTimersByTimeAsync(999);
    expect(reader.attempts).toEqual([0]);
    await vi.advanceTimersByTimeAsync(200_000);
    // Delays 1, 2, 4, 8, 16, then 30 (not 32), 30, 30: the 9th attempt succeeds.
    expect(reader.attempts).toEqual([0, 1000, 3000, 7000, 15000, 31000, 61000, 91000, 121000]);
    expect(sensor.status()).toMatchObject({ healthy: true, error: null });
    expect(changes.map((status) => status.healthy)).toEqual([false, true]);
    expect(log.at('warn')).toHaveLength(1);
    expect(log.at('info').map((line) => line.msg)).toEqual(['sensor recovered; readings resume']);
    expect(await sensor.read()).toEqual(READING);
    sensor.stop();
  });

  it('starts the back-off from 1 s again after a recovery', async () => {
    const { sensor, reader } = setup(2);
    sensor.start();
    await sensor.read();
    await vi.advanceTimersByTimeAsync(3000);
    expect(sensor.status().healthy).toBe(true);
    reader.failuresLeft = 1;
    const failedAt = reader.attempts.length;
    await sensor.read();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reader.attempts.slice(failedAt)).toEqual([3000, 4000]);
    expect(sensor.status().healthy).toBe(true);
    sensor.stop();
  });

  it('does not retry before start() nor after stop()', async () => {
    const { sensor, reader } = setup(1);
    await sensor.read();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reader.attempts).toHaveLength(1);
    sensor.start();
    sensor.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reader.attempts).toHaveLength(1);
    sensor.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reader.attempts).toHaveLength(2);
    expect(sensor.status().healthy).toBe(true);
    sensor.stop();
  });

  it('adds and removes listeners with onChange()', async () => {
    const { sensor } = setup(1);
    const seen: boolean[] = [];
    const remove = sensor.onChange((status) => seen.push(status.healthy));
    sensor.start();
    await sensor.read();
    remove();
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([false]);
    sensor.stop();
  });

  it('close() stops retrying and closes the reader', async () => {
    const { sensor, reader } = setup(5);
    sensor.start();
    await sensor.read();
    await sensor.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reader.attempts).toHaveLength(1);
    expect(reader.closed).toBe(true);
  });

  it('rides out an unplugged emulated BME280 and reads again once it is back', async () => {
    const adapter = new EmulatedI2cAdapter({
      118: emulatedBme280({ raw: { ...BMP280_DATASHEET_RAW, adcH: 30000 } }),
    });
    const chip = adapter.chipAt(0x76);
    const log = captureLogger();
    const reader = await openBmx280Reader({
      opener: adapter.opener,
      bus: 1,
      address: 0x76,
      logger: log.logger,
    });
    const sensor = new GuardedSensor(reader, { logger: log.logger });
    sensor.start();
    expect(await sensor.read()).toEqual({ temperature: 25.08, humidite: 55, pression: 1006.5 });

    adapter.detach(0x76);
    expect(await sensor.read()).toBeNull();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sensor.status()).toMatchObject({ healthy: false, error: expect.stringContaining('EREMOTEIO') });

    if (chip) {
      chip.powerCycle();
      adapter.attach(0x76, chip);
    }
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sensor.status()).toMatchObject({ healthy: true, error: null });
    expect(await sensor.read()).toEqual({ temperature: 25.08, humidite: 55, pression: 1006.5 });
    expect(log.at('warn')).toHaveLength(1);
    await sensor.close();
  });
});

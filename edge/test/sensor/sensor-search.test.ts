import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SensorStatus } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChipLocation, type FoundChip, sensorSearch } from '../../src/sensor/select-sensor.js';
import { GuardedSensor } from '../../src/sensor/sensor-health.js';
import { SENSOR_SEARCH_PERIOD_MS, SensorSearch } from '../../src/sensor/sensor-search.js';
import { createSyntheticSensor } from '../../src/sensor/synthetic.js';
import type { SensorReader } from '../../src/sensor/types.js';
import { BMP280_DATASHEET_RAW, emulatedBme280 } from '../fixtures/emulated-bme280.js';
import { EmulatedI2cAdapter } from '../fixtures/emulated-i2c-bus.js';
import { captureLogger } from './log-capture.js';

const BME280_READING = { temperature: 25.08, humidite: 55, pression: 1006.5 };
const chip = () => emulatedBme280({ raw: { ...BMP280_DATASHEET_RAW, adcH: 30000 } });

let devDir: string;

beforeEach(async () => {
  vi.useFakeTimers({ now: new Date(2024, 5, 1, 12, 0, 0) });
  devDir = await mkdtemp(join(tmpdir(), 'sensor-search-'));
  await writeFile(join(devDir, 'i2c-1'), '');
});

afterEach(async () => {
  vi.useRealTimers();
  await rm(devDir, { recursive: true, force: true });
});

/** The synthetic model, recording whether it was closed. */
function synthetic(): SensorReader & { closed: boolean } {
  const model = createSyntheticSensor({ clock: { now: () => new Date() }, random: () => 0 });
  const reader = {
    ...model,
    closed: false,
    close: async () => {
      reader.closed = true;
    },
  };
  return reader;
}

function setup(adapter: EmulatedI2cAdapter) {
  const log = captureLogger();
  const location: ChipLocation = {
    bus: 1,
    address: 'auto',
    opener: adapter.opener,
    devPath: (bus) => join(devDir, `i2c-${bus}`),
    logger: log.logger,
  };
  const model = synthetic();
  const search = sensorSearch({ sensor: 'auto', ...location }, model);
  const changes: SensorStatus[] = [];
  const sensor = new GuardedSensor(model, {
    logger: log.logger,
    search,
    onChange: (status) => changes.push(status),
  });
  return { sensor, model, log, changes, search };
}

const realSetTimeout = globalThis.setTimeout;
/** Real time, for the file-system calls of a probe to finish: the fake timers do not move it. */
const settle = (ms = 100) => new Promise((resolve) => realSetTimeout(resolve, ms));

/** Lets a look run: its timer fires, then its probe (real file-system calls) finishes. */
async function look(): Promise<void> {
  await vi.advanceTimersByTimeAsync(SENSOR_SEARCH_PERIOD_MS);
  await settle();
}

describe('the search for a sensor wired after start (SENSOR=auto)', () => {
  it('probes every minute, and switches to the chip once it answers', async () => {
    const adapter = new EmulatedI2cAdapter();
    const { sensor, model, log, changes } = setup(adapter);
    sensor.start();
    expect(await sensor.read()).toMatchObject({ temperature: 27 });

    // The first look, a minute after start, finds nothing.
    await vi.advanceTimersByTimeAsync(SENSOR_SEARCH_PERIOD_MS - 1);
    await settle();
    expect(adapter.chipIdReads()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(adapter.chipIdReads()).toEqual([0x76, 0x77]));
    expect(sensor.status().source).toBe('synthetic');

    adapter.attach(0x76, chip());
    await look();
    await vi.waitFor(() => expect(sensor.status().source).toBe('bme280'));

    expect(sensor.status()).toEqual({
      source: 'bme280',
      bus: 1,
      address: '0x76',
      healthy: true,
      error: null,
    });
    expect(changes.map((status) => status.source)).toEqual(['bme280']);
    expect(await sensor.read()).toEqual(BME280_READING);
    expect(model.closed).toBe(true);
    const info = log.at('info');
    expect(info).toHaveLength(1);
    expect(info[0]?.msg).toBe(
      'sensor: BME280 found at 0x76 on I²C bus 1; readings now come from it instead of the synthetic model',
    );

    // Found: no more probing.
    const reads = adapter.chipIdReads().length;
    await look();
    expect(adapter.chipIdReads()).toHaveLength(reads);
    await sensor.close();
  });

  it('logs a look that finds nothing at debug only, once per reason', async () => {
    const adapter = new EmulatedI2cAdapter();
    const { sensor, log } = setup(adapter);
    const stillNone = () =>
      log.at('debug').filter((line) => line.msg.startsWith('sensor: still none usable'));
    /** A look is over once the bus handle of its probe is closed again. */
    const looked = (count: number) =>
      vi.waitFor(() => {
        expect(adapter.handles).toHaveLength(count);
        expect(adapter.handles.every((handle) => handle.closed)).toBe(true);
      });
    sensor.start();
    await look();
    await looked(1);
    await vi.waitFor(() => expect(stillNone()).toHaveLength(1));
    expect(stillNone()[0]?.reason).toMatch(/^No BME280 or BMP280 on I²C bus 1: nothing answered at 0x76/);
    await look();
    await looked(2);
    await settle();
    expect(stillNone()).toHaveLength(1);
    expect(log.lines.filter((line) => line.level >= 30)).toHaveLength(0);
    await sensor.close();
  });

  it('stops looking on stop(), and closes a chip found by a look already under way', async () => {
    const log = captureLogger();
    let answer: (found: FoundChip) => void = () => undefined;
    let looks = 0;
    const search = new SensorSearch({
      find: () => {
        looks += 1;
        return new Promise((resolve) => {
          answer = resolve;
        });
      },
      logger: log.logger,
    });
    const found: SensorReader[] = [];
    search.start((reader) => found.push(reader));
    await vi.advanceTimersByTimeAsync(SENSOR_SEARCH_PERIOD_MS);
    expect(looks).toBe(1);
    search.stop();
    let closed = false;
    const late = {
      ...synthetic(),
      source: 'bme280' as const,
      close: async () => {
        closed = true;
      },
    };
    answer({ ok: true, reader: late });
    await vi.waitFor(() => expect(closed).toBe(true));
    expect(found).toEqual([]);
    await vi.advanceTimersByTimeAsync(3 * SENSOR_SEARCH_PERIOD_MS);
    expect(looks).toBe(1);
  });

  it('is there only with SENSOR=auto on the synthetic model', async () => {
    const log = captureLogger();
    const location: ChipLocation = { bus: 1, address: 'auto', logger: log.logger };
    expect(sensorSearch({ sensor: 'auto', ...location }, synthetic())).not.toBeNull();
    expect(sensorSearch({ sensor: 'synthetic', ...location }, synthetic())).toBeNull();
    const real = { ...synthetic(), source: 'bme280' as const, bus: 1, address: '0x76' };
    expect(sensorSearch({ sensor: 'auto', ...location }, real)).toBeNull();
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type OnlineStatus, type Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sensorSearch } from '../../src/sensor/select-sensor.js';
import { GuardedSensor } from '../../src/sensor/sensor-health.js';
import { SENSOR_SEARCH_PERIOD_MS } from '../../src/sensor/sensor-search.js';
import { createSyntheticSensor } from '../../src/sensor/synthetic.js';
import { BMP280_DATASHEET_RAW, emulatedBme280 } from '../fixtures/emulated-bme280.js';
import { EmulatedI2cAdapter } from '../fixtures/emulated-i2c-bus.js';
import { type Harness, makeDevice } from './harness.js';

const realSetTimeout = globalThis.setTimeout;

describe('Device with SENSOR=auto and no chip at start', () => {
  let h: Harness;
  let devDir: string;

  beforeEach(async () => {
    vi.useFakeTimers({ now: new Date('2026-12-01T12:00:00.000Z') });
    devDir = await mkdtemp(join(tmpdir(), 'device-search-'));
    await writeFile(join(devDir, 'i2c-1'), '');
  });

  afterEach(async () => {
    await h.dispose();
    vi.useRealTimers();
    await rm(devDir, { recursive: true, force: true });
  });

  it('switches to a BME280 wired later without a restart: same epoch, seq goes on, the status says so', async () => {
    const adapter = new EmulatedI2cAdapter();
    const logger = createLogger('edge-test', 'silent');
    const model = createSyntheticSensor({ clock: { now: () => new Date() } });
    const location = {
      bus: 1,
      address: 'auto' as const,
      opener: adapter.opener,
      devPath: (bus: number) => join(devDir, `i2c-${bus}`),
      logger,
    };
    const search = sensorSearch({ sensor: 'auto', ...location }, model);
    const sensor = new GuardedSensor(model, { logger, search });
    h = await makeDevice({ intervalle: 5 }, { sensor });
    h.device.start();
    h.link.goOnline();

    await vi.advanceTimersByTimeAsync(SENSOR_SEARCH_PERIOD_MS);
    await vi.waitFor(() => expect(adapter.chipIdReads()).toEqual([0x76, 0x77]));
    expect(h.device.status().sensor.source).toBe('synthetic');

    adapter.attach(0x76, emulatedBme280({ raw: { ...BMP280_DATASHEET_RAW, adcH: 30000 } }));
    await vi.advanceTimersByTimeAsync(SENSOR_SEARCH_PERIOD_MS);
    await vi.waitFor(() => expect(h.device.status().sensor.source).toBe('bme280'));
    // The retained status was published again with the chip.
    expect((h.link.last('status')?.json as OnlineStatus | undefined)?.sensor).toEqual({
      source: 'bme280',
      bus: 1,
      address: '0x76',
      healthy: true,
      error: null,
    });
    await vi.advanceTimersByTimeAsync(10_000);
    await new Promise((resolve) => realSetTimeout(resolve, 50));

    const readings = h.link.on('data').map((message) => message.json as Telemetry);
    const sources = readings.map((reading) => reading.source);
    expect(sources[0]).toBe('synthetic');
    expect(sources.at(-1)).toBe('bme280');
    // Once switched, every reading comes from the chip, as the datasheet's example values.
    const first = sources.indexOf('bme280');
    expect(sources.slice(first).every((source) => source === 'bme280')).toBe(true);
    expect(readings.at(-1)).toMatchObject({ temperature: 25.08, humidite: 55, pression: 1006.5 });
    expect(readings.map((reading) => reading.seq)).toEqual(readings.map((_, index) => index));
    expect(new Set(readings.map((reading) => reading.epoch)).size).toBe(1);
  });
});

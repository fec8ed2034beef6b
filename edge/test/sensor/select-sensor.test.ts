import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SensorUnavailableError } from '../../src/sensor/errors.js';
import { type SelectSensorOptions, selectSensor } from '../../src/sensor/select-sensor.js';
import {
  BMP280_DATASHEET_RAW,
  emulatedBme280,
  emulatedBmp280,
  emulatedOtherChip,
} from '../fixtures/emulated-bme280.js';
import { EmulatedI2cAdapter } from '../fixtures/emulated-i2c-bus.js';
import { captureLogger } from './log-capture.js';

let devDir: string;
const devPath = (bus: number) => join(devDir, `i2c-${bus}`);
/** Local noon: the synthetic model gives exactly 27 °C there when the noise is zero. */
const noon: Clock = { now: () => new Date(2024, 5, 1, 12, 0, 0) };
const noNoise = () => 0;

beforeEach(async () => {
  devDir = await mkdtemp(join(tmpdir(), 'select-sensor-'));
  await writeFile(devPath(1), '');
});

afterEach(async () => {
  await rm(devDir, { recursive: true, force: true });
});

function options(adapter: EmulatedI2cAdapter, overrides: Partial<SelectSensorOptions> = {}) {
  const log = captureLogger();
  const selected: SelectSensorOptions = {
    sensor: 'auto',
    bus: 1,
    address: 'auto',
    opener: adapter.opener,
    devPath,
    clock: noon,
    random: noNoise,
    logger: log.logger,
    ...overrides,
  };
  return { selected, log };
}

const MISSING_BUS_2 = () =>
  `I²C bus 2 not found: ${devPath(2)} is missing; enable I²C (on balena: BALENA_HOST_CONFIG_dtparam="i2c_arm=on")`;

describe('selectSensor', () => {
  it('SENSOR=synthetic uses the model without touching I²C', async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedBme280() });
    const { selected, log } = options(adapter, { sensor: 'synthetic' });
    const reader = await selectSensor(selected);
    expect(reader).toMatchObject({ source: 'synthetic', bus: null, address: null });
    expect(adapter.opened).toEqual([]);
    expect(log.at('info')).toHaveLength(1);
    expect(log.at('warn')).toHaveLength(0);
    expect((await reader.read()).temperature).toBe(27);
  });

  it('SENSOR=auto uses a BME280 when there is one, and logs it once at info', async () => {
    const adapter = new EmulatedI2cAdapter({
      118: emulatedBme280({ raw: { ...BMP280_DATASHEET_RAW, adcH: 30000 } }),
    });
    const { selected, log } = options(adapter);
    const reader = await selectSensor(selected);
    expect(reader).toMatchObject({ source: 'bme280', bus: 1, address: '0x76' });
    expect(await reader.read()).toEqual({ temperature: 25.08, humidite: 55, pression: 1006.5 });
    expect(log.at('info').map((line) => line.msg)).toEqual(['sensor: BME280 at 0x76 on I²C bus 1']);
    expect(log.at('warn')).toHaveLength(0);
    await reader.close();
  });

  it('accepts a BMP280, whose readings have humidite null', async () => {
    const adapter = new EmulatedI2cAdapter({ 119: emulatedBmp280({ raw: BMP280_DATASHEET_RAW }) });
    const { selected } = options(adapter, { sensor: 'bme280' });
    const reader = await selectSensor(selected);
    expect(reader).toMatchObject({ source: 'bmp280', address: '0x77' });
    expect((await reader.read()).humidite).toBeNull();
  });

  it('SENSOR=auto without the bus logs ONE warning with the reason and falls back to the model', async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedBme280() });
    const { selected, log } = options(adapter, { bus: 2 });
    const reader = await selectSensor(selected);
    expect(reader.source).toBe('synthetic');
    const warnings = log.at('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.reason).toBe(MISSING_BUS_2());
    expect(warnings[0]?.msg).toContain(MISSING_BUS_2());
    expect(log.lines.filter((line) => line.level >= 30)).toHaveLength(1);
  });

  it('SENSOR=auto with a wrong chip says which id it found', async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedOtherChip(0x55) });
    const { selected, log } = options(adapter);
    expect((await selectSensor(selected)).source).toBe('synthetic');
    expect(log.at('warn')).toHaveLength(1);
    expect(log.at('warn')[0]?.reason).toContain('wrong chip id 0x55 at 0x76');
  });

  it('SENSOR=bme280 without a sensor throws SensorUnavailableError whose message is the reason', async () => {
    const adapter = new EmulatedI2cAdapter();
    const { selected, log } = options(adapter, { sensor: 'bme280', bus: 2 });
    const error = await selectSensor(selected).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SensorUnavailableError);
    expect((error as Error).message).toBe(MISSING_BUS_2());
    expect(log.at('warn')).toHaveLength(0);
  });

  it('SENSOR=bme280 with nothing at either address names both addresses', async () => {
    const adapter = new EmulatedI2cAdapter();
    const { selected } = options(adapter, { sensor: 'bme280' });
    await expect(selectSensor(selected)).rejects.toThrow(
      /^No BME280 or BMP280 on I²C bus 1: nothing answered at 0x76 \(EREMOTEIO\), nothing answered at 0x77 \(EREMOTEIO\)/,
    );
  });

  it('treats a chip that fails to initialise like a missing one', async () => {
    const chip = emulatedBme280();
    chip.failNextReads(1, 'EIO', { register: 0x88 });
    const adapter = new EmulatedI2cAdapter({ 118: chip });
    const strict = options(adapter, { sensor: 'bme280' });
    await expect(selectSensor(strict.selected)).rejects.toThrow(
      new SensorUnavailableError('The sensor at 0x76 on I²C bus 1 did not initialise: EIO, i/o error'),
    );
    chip.failNextReads(1, 'EIO', { register: 0x88 });
    const lenient = options(adapter);
    expect((await selectSensor(lenient.selected)).source).toBe('synthetic');
    expect(lenient.log.at('warn')[0]?.reason).toBe(
      'The sensor at 0x76 on I²C bus 1 did not initialise: EIO, i/o error',
    );
  });
});

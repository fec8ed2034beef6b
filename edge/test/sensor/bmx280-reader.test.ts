import { describe, expect, it } from 'vitest';
import { openBmx280Reader } from '../../src/sensor/bmx280-reader.js';
import {
  BMP280_DATASHEET_RAW,
  type EmulatedBmx280,
  emulatedBme280,
  emulatedBmp280,
} from '../fixtures/emulated-bme280.js';
import { EmulatedI2cAdapter } from '../fixtures/emulated-i2c-bus.js';
import { captureLogger } from './log-capture.js';

const RAW = { ...BMP280_DATASHEET_RAW, adcH: 30000 };

async function open(chip: EmulatedBmx280) {
  const adapter = new EmulatedI2cAdapter({ 119: chip });
  const { logger } = captureLogger();
  const reader = await openBmx280Reader({
    opener: adapter.opener,
    bus: 3,
    address: 0x77,
    logger,
  });
  return { adapter, reader };
}

describe('BMx280 reader', () => {
  it('reads a BME280 through the driver, rounded like the original format', async () => {
    const { reader } = await open(emulatedBme280({ raw: RAW }));
    expect(reader).toMatchObject({ source: 'bme280', bus: 3, address: '0x77' });
    const reading = await reader.read();
    // 25.08 °C and 1006.5326 hPa from the datasheet example; 55.0007 %RH from the humidity formula.
    expect(reading).toEqual({ temperature: 25.08, humidite: 55, pression: 1006.5 });
  });

  it('reports humidite null for a BMP280, which has no humidity sensor', async () => {
    const { reader } = await open(emulatedBmp280({ raw: BMP280_DATASHEET_RAW }));
    expect(reader.source).toBe('bmp280');
    expect(await reader.read()).toEqual({ temperature: 25.08, humidite: null, pression: 1006.5 });
  });

  it('follows new raw values from the chip', async () => {
    const chip = emulatedBme280({ raw: RAW });
    const { reader } = await open(chip);
    const first = await reader.read();
    chip.setRaw({ adcT: 530000, adcH: 26000 });
    const second = await reader.read();
    expect(second.temperature).toBeGreaterThan(first.temperature);
    expect(second.humidite).toBeLessThan(first.humidite ?? 0);
  });

  it('rejects a failed read with an Error that says what failed', async () => {
    const chip = emulatedBme280({ raw: RAW });
    const { reader } = await open(chip);
    chip.failNextReads(1, 'EREMOTEIO');
    await expect(reader.read()).rejects.toThrow(
      'Reading the BME280 at 0x77 on I²C bus 3 failed: EREMOTEIO, Remote I/O error',
    );
  });

  it('initialises the chip again after a failure, so a chip that lost power reads right again', async () => {
    const chip = emulatedBme280({ raw: RAW });
    const { reader } = await open(chip);
    chip.failNextReads(1);
    chip.powerCycle();
    await expect(reader.read()).rejects.toThrow('EIO');
    const writesBefore = chip.writes.length;
    expect(await reader.read()).toEqual({ temperature: 25.08, humidite: 55, pression: 1006.5 });
    expect(chip.writes.slice(writesBefore).map((write) => write.register)).toEqual([0xd0, 0xf2, 0xf4]);
  });

  it('notices a chip that was reset without an I²C error, and recovers on the next read', async () => {
    const chip = emulatedBme280({ raw: RAW });
    const { reader } = await open(chip);
    chip.powerCycle();
    await expect(reader.read()).rejects.toThrow('no measurement');
    expect((await reader.read()).temperature).toBe(25.08);
  });

  it('rejects a reading outside the chip operating range', async () => {
    const chip = emulatedBme280({ raw: RAW });
    const { reader } = await open(chip);
    chip.setRaw({ adcT: 0xfffff });
    await expect(reader.read()).rejects.toThrow(/implausible temperature .* °C/);
  });

  it('fails to open with a sentence when the chip does not initialise, and closes the bus', async () => {
    const chip = emulatedBme280();
    chip.failNextReads(1, 'EIO', { register: 0x88 });
    const adapter = new EmulatedI2cAdapter({ 118: chip });
    const { logger } = captureLogger();
    await expect(openBmx280Reader({ opener: adapter.opener, bus: 1, address: 0x76, logger })).rejects.toThrow(
      'The sensor at 0x76 on I²C bus 1 did not initialise: EIO, i/o error',
    );
    expect(adapter.handles.every((handle) => handle.closed)).toBe(true);
  });

  it('closes its bus, and refuses to read afterwards', async () => {
    const { adapter, reader } = await open(emulatedBme280({ raw: RAW }));
    await reader.close();
    expect(adapter.handles.map((handle) => handle.closed)).toEqual([true]);
    await expect(reader.read()).rejects.toThrow('closed');
  });
});

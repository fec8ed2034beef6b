import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBmx280Driver } from '../../src/sensor/bmx280-driver.js';
import {
  BMP280_DATASHEET_CALIBRATION,
  BMP280_DATASHEET_RAW,
  type EmulatedBmx280,
  emulatedBme280,
  emulatedBmp280,
  emulatedOtherChip,
  type HumidityCalibrationValues,
  TYPICAL_HUMIDITY_CALIBRATION,
} from '../fixtures/emulated-bme280.js';
import { EmulatedI2cAdapter } from '../fixtures/emulated-i2c-bus.js';

/**
 * The BME280 datasheet's own fixed-point compensation (section 4.2.3, bme280_compensate_T_int32 and
 * bme280_compensate_H_int32), written out here independently of bme280-sensor, which uses the
 * floating-point formulas of section 8.1. The two agree to a few thousandths of %RH.
 */
function datasheetTFine(adcT: number): number {
  const c = BMP280_DATASHEET_CALIBRATION;
  const var1 = (((adcT >> 3) - (c.dig_T1 << 1)) * c.dig_T2) >> 11;
  const var2 = (((((adcT >> 4) - c.dig_T1) * ((adcT >> 4) - c.dig_T1)) >> 12) * c.dig_T3) >> 14;
  return var1 + var2;
}

function datasheetHumidity(adcH: number, tFine: number, h: HumidityCalibrationValues): number {
  let v = tFine - 76800;
  v =
    ((((adcH << 14) - (h.dig_H4 << 20) - h.dig_H5 * v + 16384) >> 15) *
      (((((((v * h.dig_H6) >> 10) * (((v * h.dig_H3) >> 11) + 32768)) >> 10) + 2097152) * h.dig_H2 + 8192) >>
        14)) |
    0;
  v = v - (((((v >> 15) * (v >> 15)) >> 7) * h.dig_H1) >> 4);
  v = Math.min(Math.max(v, 0), 419430400);
  return (v >>> 12) / 1024;
}

async function initialisedDriver(chip: EmulatedBmx280, address = 0x76) {
  const adapter = new EmulatedI2cAdapter({ [address]: chip });
  const driver = createBmx280Driver(await adapter.opener(1), 1, address);
  const chipId = await driver.init();
  return { adapter, driver, chipId };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('bme280-sensor on the emulated chip, against the Bosch datasheets', () => {
  it('gives the BMP280 worked example: adc_T 519888 → 25.08 °C, adc_P 415148 → 100653.27 Pa', async () => {
    const { driver, chipId } = await initialisedDriver(emulatedBmp280({ raw: BMP280_DATASHEET_RAW }));
    expect(chipId).toBe(0x58);
    expect(driver.calibration()).toMatchObject(BMP280_DATASHEET_CALIBRATION);
    const reading = await driver.readSensorData();
    expect(reading.temperature_C).toBeCloseTo(25.08, 6);
    expect(Math.abs(reading.pressure_hPa * 100 - 100653.27)).toBeLessThan(0.05);
  });

  it('configures x16 oversampling and normal mode, ctrl_hum before ctrl_meas as the datasheet requires', async () => {
    const chip = emulatedBme280();
    await initialisedDriver(chip);
    const controlWrites = chip.writes.filter((write) => write.register === 0xf2 || write.register === 0xf4);
    expect(controlWrites).toEqual([
      { register: 0xf2, value: 0b101 },
      { register: 0xf4, value: 0b101_101_11 },
    ]);
  });

  it.each([20000, 26000, 30000, 36000])(
    'matches the BME280 datasheet humidity formula for typical coefficients, adc_H %i',
    async (adcH) => {
      const chip = emulatedBme280({ raw: { ...BMP280_DATASHEET_RAW, adcH } });
      const { driver } = await initialisedDriver(chip);
      const expected = datasheetHumidity(
        adcH,
        datasheetTFine(BMP280_DATASHEET_RAW.adcT),
        TYPICAL_HUMIDITY_CALIBRATION,
      );
      const { humidity } = await driver.readSensorData();
      expect(Math.abs(humidity - expected)).toBeLessThan(0.01);
    },
  );

  it('reads the signed humidity coefficients (negative dig_H5, dig_H6) as the datasheet defines them', async () => {
    const humidityCalibration = { dig_H1: 75, dig_H2: 370, dig_H3: 0, dig_H4: 300, dig_H5: -25, dig_H6: -12 };
    const chip = emulatedBme280({ humidityCalibration, raw: { ...BMP280_DATASHEET_RAW, adcH: 28000 } });
    const { driver } = await initialisedDriver(chip);
    expect(driver.calibration()).toMatchObject(humidityCalibration);
    const expected = datasheetHumidity(28000, datasheetTFine(BMP280_DATASHEET_RAW.adcT), humidityCalibration);
    expect(expected).toBeGreaterThan(40);
    expect(Math.abs((await driver.readSensorData()).humidity - expected)).toBeLessThan(0.01);
  });

  it('keeps stdout clean: the driver prints "Found BMx280 chip ID" with console.log, which is silenced', async () => {
    const log = vi.spyOn(console, 'log');
    await initialisedDriver(emulatedBme280());
    expect(log).not.toHaveBeenCalled();
  });

  it('rejects the init when the calibration block read fails, instead of crashing the process', async () => {
    const chip = emulatedBme280();
    chip.failNextReads(1, 'EIO', { register: 0x88 });
    await expect(initialisedDriver(chip)).rejects.toThrow('EIO');
  });

  it('rejects the init when a humidity calibration read inside the driver callback fails', async () => {
    const chip = emulatedBme280();
    chip.failNextReads(1, 'EREMOTEIO', { register: 0xe1 });
    await expect(initialisedDriver(chip)).rejects.toThrow('EREMOTEIO');
  });

  it("turns the driver's string rejection for an unknown chip id into an Error", async () => {
    const adapter = new EmulatedI2cAdapter({ 118: emulatedOtherChip(0x61) });
    const driver = createBmx280Driver(await adapter.opener(1), 1, 0x76);
    const error = await driver.init().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Unexpected BMx280 chip ID: 0x61');
  });

  it('rejects a data read from a chip that has not measured since it was reset', async () => {
    const chip = emulatedBme280();
    const { driver } = await initialisedDriver(chip);
    await expect(driver.readSensorData()).resolves.toBeDefined();
    chip.powerCycle();
    await expect(driver.readSensorData()).rejects.toThrow('no measurement');
    await driver.init();
    expect((await driver.readSensorData()).temperature_C).toBeCloseTo(25.08, 6);
  });
});

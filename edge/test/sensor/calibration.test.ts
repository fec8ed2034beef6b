import { describe, expect, it } from 'vitest';
import { NO_CALIBRATION } from '../../src/device/settings.js';
import { calibrate, seaLevelPressure } from '../../src/sensor/calibration.js';

describe('seaLevelPressure (U.S. Standard Atmosphere 1976, eq. 33a)', () => {
  // The standard atmosphere's own table, at geometric altitudes: at 500 m, 954.61 hPa and 284.90 K (11.75 °C);
  // at 1000 m, 898.76 hPa and 281.65 K (8.50 °C); at 2000 m, 795.01 hPa and 275.15 K (2.00 °C). Reduced with the
  // temperature of the table, each gives back the standard sea-level pressure, 1013.25 hPa, within 0.1 hPa: the
  // formula takes the altitude as geopotential, 0.6 m less than 2000 m geometric, which is 0.08 hPa there.
  it.each([
    [500, 954.61, 11.75],
    [1000, 898.76, 8.5],
    [2000, 795.01, 2],
  ])('gives 1013.25 hPa back from the standard atmosphere at %i m', (altitude, station, temperature) => {
    expect(Math.abs(seaLevelPressure(station, altitude, temperature) - 1013.25)).toBeLessThan(0.1);
  });

  it('reduces 1000 hPa measured at 500 m and 15 °C to 1060.7 hPa', () => {
    // By hand: (1 + 0.0065·500 / 288.15)^5.25588 = 1.011279^5.25588 = e^(5.25588 · 0.011216) = e^0.058949
    // = 1.060721, so 1060.72 hPa.
    expect(seaLevelPressure(1000, 500, 15)).toBeCloseTo(1060.72, 1);
    // The hypsometric equation with the layer's mean temperature (15 °C + 0.0065·500/2 = 289.775 K) agrees:
    // 1000 · e^(9.80665 · 500 / (287.053 · 289.775)).
    expect(seaLevelPressure(1000, 500, 15)).toBeCloseTo(
      1000 * Math.exp((9.80665 * 500) / (287.053 * 289.775)),
      1,
    );
  });

  it('gives more for colder air, the station pressure at 0 m, and less below sea level', () => {
    expect(seaLevelPressure(1000, 500, -10)).toBeGreaterThan(seaLevelPressure(1000, 500, 30));
    expect(seaLevelPressure(1000, 0, 15)).toBe(1000);
    expect(seaLevelPressure(1050, -430, 30)).toBeLessThan(1050);
  });
});

describe('calibrate', () => {
  const reading = { temperature: 21.37, humidite: 48.2, pression: 1003.4 };

  it('changes nothing without a calibration', () => {
    expect(calibrate(reading, NO_CALIBRATION)).toEqual(reading);
  });

  it('adds each correction to its own value, rounded like the readings', () => {
    const calibration = { ...NO_CALIBRATION, correction_temperature: -1.25, correction_humidite: 3.05 };
    expect(calibrate(reading, { ...calibration, correction_pression: 0.66 })).toEqual({
      temperature: 20.12,
      humidite: 51.3,
      pression: 1004.1,
    });
  });

  it('keeps the humidity within 0 to 100 %RH, and null on a BMP280', () => {
    expect(
      calibrate({ ...reading, humidite: 95 }, { ...NO_CALIBRATION, correction_humidite: 8 }).humidite,
    ).toBe(100);
    expect(
      calibrate({ ...reading, humidite: 3 }, { ...NO_CALIBRATION, correction_humidite: -8 }).humidite,
    ).toBe(0);
    expect(
      calibrate({ ...reading, humidite: null }, { ...NO_CALIBRATION, correction_humidite: 5 }).humidite,
    ).toBeNull();
  });

  it('reduces the corrected pressure to sea level with the corrected temperature', () => {
    const station = { temperature: 16, humidite: 50, pression: 999.5 };
    const calibration = {
      ...NO_CALIBRATION,
      correction_temperature: -1,
      correction_pression: 0.5,
      altitude: 500,
    };
    // 1000 hPa at 500 m and 15 °C once corrected: 1060.7 hPa, as above.
    expect(calibrate(station, calibration)).toEqual({ temperature: 15, humidite: 50, pression: 1060.7 });
  });
});

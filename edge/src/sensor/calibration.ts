import type { Calibration } from '@fleet/shared';
import { roundTo } from './rounding.js';
import type { Reading } from './types.js';

/** Temperature lapse rate of the standard atmosphere's lowest layer, K per metre. */
const LAPSE_RATE_K_PER_M = 0.0065;
/** Standard gravity (m/s²), the molar mass of dry air (kg/mol) and the gas constant (J/(mol·K)), as in USSA 1976. */
const G0 = 9.80665;
const AIR_MOLAR_MASS = 0.0289644;
const GAS_CONSTANT = 8.31432;
/** g0·M / (R*·L) ≈ 5.2559 */
const EXPONENT = (G0 * AIR_MOLAR_MASS) / (GAS_CONSTANT * LAPSE_RATE_K_PER_M);
const KELVIN = 273.15;

/**
 * Pressure reduced to sea level from the pressure `stationHpa` measured at `altitudeM` metres with the air
 * at `temperatureC`. The barometric formula for a layer of constant lapse rate, U.S. Standard Atmosphere 1976
 * (NOAA-S/T 76-1562), equation 33a: P = Pb · [Tb / (Tb + Lb·(H − Hb))]^(g0·M0 / (R*·Lb)), with the station as
 * the base (Pb, Tb, Hb = the measurement and the altitude), H = 0 and Lb = −0.0065 K/m, which gives
 *   P0 = P · (1 + 0.0065·h / T)^5.2559, T in kelvin.
 * The air column below the station is taken to warm by 6.5 K per km downwards from the measured temperature.
 */
export function seaLevelPressure(stationHpa: number, altitudeM: number, temperatureC: number): number {
  return stationHpa * (1 + (LAPSE_RATE_K_PER_M * altitudeM) / (temperatureC + KELVIN)) ** EXPONENT;
}

/**
 * A reading as the device reports it: the corrections added (humidity kept within 0..100 %RH, null staying
 * null on a BMP280), then the pressure reduced to sea level when the altitude is not 0, using the corrected
 * temperature; rounded like the readings (2 decimals for °C, 1 for %RH and hPa).
 */
export function calibrate(reading: Reading, calibration: Calibration): Reading {
  const temperature = reading.temperature + calibration.correction_temperature;
  const station = reading.pression + calibration.correction_pression;
  const pressure =
    calibration.altitude === 0 ? station : seaLevelPressure(station, calibration.altitude, temperature);
  const humidity =
    reading.humidite === null
      ? null
      : Math.min(100, Math.max(0, reading.humidite + calibration.correction_humidite));
  return {
    temperature: roundTo(temperature, 2),
    humidite: humidity === null ? null : roundTo(humidity, 1),
    pression: roundTo(pressure, 1),
  };
}

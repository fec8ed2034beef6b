import type { Clock } from '@fleet/shared';
import { roundTo } from './rounding.js';
import type { Reading, SensorReader } from './types.js';

export interface SyntheticSensorOptions {
  clock: Clock;
  /** Uniform in [0, 1), like Math.random (the default). A function that always returns 0 gives no noise. */
  random?: () => number;
}

export const SYNTHETIC_MODEL = {
  /** °C at 06:00 and 18:00; ±amplitude at 12:00 and 00:00. */
  meanTemperature: 22,
  temperatureAmplitude: 5,
  temperatureNoise: 0.8,
  /** %RH at the mean temperature; it falls by humidityPerDegree for each °C above it. */
  meanHumidity: 65,
  humidityPerDegree: 2,
  humidityNoise: 3,
  humidityRange: [30, 95] as const,
  /** hPa */
  meanPressure: 1013,
  pressureNoise: 3,
} as const;

/**
 * A standard normal deviate by Box–Muller, from two uniform draws: sqrt(−2 ln(1 − u1)) · cos(2π u2).
 * Using 1 − u1 keeps the logarithm finite for u1 = 0, and makes u1 = 0 give exactly 0 (no noise).
 */
export function gaussian(random: () => number): number {
  const u1 = 1 - random();
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * The day/night model of the original design, for a device without a chip:
 * - temperature = 22 + 5·sin((hour − 6)·π/12) + N(0, 0.8): 17 °C at midnight, 27 °C at noon;
 * - humidity = 65 − (temperature − 22)·2 + N(0, 3), clamped to 30..95 %RH;
 * - pressure = 1013 + N(0, 3) hPa.
 * `hour` is hour + minutes/60 of the clock's LOCAL time, i.e. the container's time zone: UTC unless the
 * container sets TZ. Values are rounded like the original format (2 decimals for °C, 1 for %RH and hPa).
 * Each reading draws six uniforms, in order: temperature, humidity, pressure (two each).
 */
export function createSyntheticSensor(options: SyntheticSensorOptions): SensorReader {
  const random = options.random ?? Math.random;
  const m = SYNTHETIC_MODEL;
  return {
    source: 'synthetic',
    bus: null,
    address: null,
    read: async (): Promise<Reading> => {
      const now = options.clock.now();
      const hour = now.getHours() + now.getMinutes() / 60;
      const temperature =
        m.meanTemperature +
        m.temperatureAmplitude * Math.sin(((hour - 6) * Math.PI) / 12) +
        gaussian(random) * m.temperatureNoise;
      const humidity =
        m.meanHumidity -
        (temperature - m.meanTemperature) * m.humidityPerDegree +
        gaussian(random) * m.humidityNoise;
      const pressure = m.meanPressure + gaussian(random) * m.pressureNoise;
      const [minHumidity, maxHumidity] = m.humidityRange;
      return {
        temperature: roundTo(temperature, 2),
        humidite: roundTo(Math.min(maxHumidity, Math.max(minHumidity, humidity)), 1),
        pression: roundTo(pressure, 1),
      };
    },
    close: async () => {},
  };
}

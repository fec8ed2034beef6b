import type { Clock } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { createSyntheticSensor, gaussian } from '../../src/sensor/synthetic.js';

/** Local time of day, as the model reads it (getHours/getMinutes). */
const at = (hours: number, minutes = 0): Clock => ({ now: () => new Date(2024, 0, 15, hours, minutes) });
const noNoise = () => 0;

/** mulberry32: a small seeded uniform generator, so the statistics below are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Replays a fixed list of uniforms, in the order the model draws them. */
function sequence(values: number[]): () => number {
  let index = 0;
  return () => {
    const value = values[index % values.length];
    index += 1;
    return value ?? 0;
  };
}

function stats(values: number[]) {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

describe('gaussian (Box–Muller)', () => {
  it('gives exactly 0 when the first uniform is 0', () => {
    expect(gaussian(sequence([0, 0.3]))).toBe(0);
  });

  it('follows sqrt(-2 ln(1 - u1)) cos(2π u2)', () => {
    expect(gaussian(sequence([0.5, 0.5]))).toBeCloseTo(-Math.sqrt(2 * Math.log(2)), 12);
    expect(gaussian(sequence([0.5, 0]))).toBeCloseTo(Math.sqrt(2 * Math.log(2)), 12);
  });

  it('has mean 0 and standard deviation 1', () => {
    const random = seeded(7);
    const { mean, sd } = stats(Array.from({ length: 20000 }, () => gaussian(random)));
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe('synthetic day/night model', () => {
  it('is a SensorReader with no bus', async () => {
    const sensor = createSyntheticSensor({ clock: at(12) });
    expect(sensor).toMatchObject({ source: 'synthetic', bus: null, address: null });
    await expect(sensor.close()).resolves.toBeUndefined();
  });

  it.each([
    { time: '00:00', hours: 0, temperature: 17, humidite: 75 },
    { time: '06:00', hours: 6, temperature: 22, humidite: 65 },
    { time: '12:00', hours: 12, temperature: 27, humidite: 55 },
    { time: '18:00', hours: 18, temperature: 22, humidite: 65 },
  ])(
    'without noise gives $temperature °C and $humidite %RH at $time',
    async ({ hours, temperature, humidite }) => {
      const reading = await createSyntheticSensor({ clock: at(hours), random: noNoise }).read();
      expect(reading).toEqual({ temperature, humidite, pression: 1013 });
    },
  );

  it('uses the minutes too: 09:30 is 22 + 5·sin(3.5π/12)', async () => {
    const reading = await createSyntheticSensor({ clock: at(9, 30), random: noNoise }).read();
    expect(reading.temperature).toBeCloseTo(22 + 5 * Math.sin((3.5 * Math.PI) / 12), 2);
  });

  it('peaks at noon and bottoms out at midnight over a whole day', async () => {
    const day: Array<{ minute: number; temperature: number }> = [];
    for (let minute = 0; minute < 24 * 60; minute += 10) {
      const clock = at(Math.floor(minute / 60), minute % 60);
      day.push({
        minute,
        temperature: (await createSyntheticSensor({ clock, random: noNoise }).read()).temperature,
      });
    }
    const max = Math.max(...day.map((sample) => sample.temperature));
    const min = Math.min(...day.map((sample) => sample.temperature));
    expect([max, min]).toEqual([27, 17]);
    // Rounded to 2 decimals, the extremes are flat for a few minutes either side.
    const peak = day.filter((sample) => sample.temperature === max).map((sample) => sample.minute);
    const trough = day.filter((sample) => sample.temperature === min).map((sample) => sample.minute);
    expect(peak).toContain(12 * 60);
    expect(peak.every((minute) => Math.abs(minute - 12 * 60) <= 20)).toBe(true);
    expect(trough).toContain(0);
    expect(trough.every((minute) => minute <= 20 || minute >= 24 * 60 - 20)).toBe(true);
  });

  it('adds noise of the documented size around the curve', async () => {
    const sensor = createSyntheticSensor({ clock: at(12), random: seeded(42) });
    const readings = await Promise.all(Array.from({ length: 4000 }, () => sensor.read()));
    const temperature = stats(readings.map((reading) => reading.temperature));
    const humidity = stats(readings.map((reading) => reading.humidite ?? Number.NaN));
    const pressure = stats(readings.map((reading) => reading.pression));
    expect(Math.abs(temperature.mean - 27)).toBeLessThan(0.06);
    expect(Math.abs(temperature.sd - 0.8)).toBeLessThan(0.05);
    expect(Math.abs(humidity.mean - 55)).toBeLessThan(0.2);
    // Humidity noise σ 3 plus twice the temperature noise: sqrt(3² + 1.6²) ≈ 3.4.
    expect(Math.abs(humidity.sd - Math.sqrt(9 + 1.6 ** 2))).toBeLessThan(0.2);
    expect(Math.abs(pressure.mean - 1013)).toBeLessThan(0.2);
    expect(Math.abs(pressure.sd - 3)).toBeLessThan(0.15);
  });

  it('rounds like the original format: 2 decimals for °C, 1 for %RH and hPa', async () => {
    const sensor = createSyntheticSensor({ clock: at(15, 17), random: seeded(3) });
    for (let i = 0; i < 50; i += 1) {
      const reading = await sensor.read();
      expect(Number(reading.temperature.toFixed(2))).toBe(reading.temperature);
      expect(Number(reading.humidite?.toFixed(1))).toBe(reading.humidite);
      expect(Number(reading.pression.toFixed(1))).toBe(reading.pression);
    }
  });

  it('clamps humidity to 95 %RH under extreme noise at midnight', async () => {
    // Draws: temperature (u1 near 1, u2 = 0.5 → about −8.6σ), humidity (u1 near 1, u2 = 0 → +8.6σ), pressure none.
    const extreme = 1 - 2 ** -53;
    const random = sequence([extreme, 0.5, extreme, 0, 0, 0]);
    const reading = await createSyntheticSensor({ clock: at(0), random }).read();
    expect(reading.humidite).toBe(95);
  });

  it('clamps humidity to 30 %RH under extreme noise at noon', async () => {
    const extreme = 1 - 2 ** -53;
    const random = sequence([extreme, 0, extreme, 0.5, 0, 0]);
    const reading = await createSyntheticSensor({ clock: at(12), random }).read();
    expect(reading.temperature).toBeGreaterThan(33);
    expect(reading.humidite).toBe(30);
  });
});

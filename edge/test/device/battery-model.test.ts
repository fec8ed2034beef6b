import { describe, expect, it } from 'vitest';
import { BatteryModel } from '../../src/device/battery-model.js';

const S = 1000;
const T0 = 1_700_000_000_000;

describe('BatteryModel', () => {
  it('follows the original formula 100 − (t mod 10000)/100 in auto mode', () => {
    const battery = new BatteryModel(T0);
    expect(battery.level(T0)).toBe(100);
    expect(battery.level(T0 + 1000 * S)).toBe(90);
    expect(battery.level(T0 + 2500 * S)).toBe(75);
    expect(battery.level(T0 + 9990 * S)).toBe(0.1);
    // Full cycle: the simulated battery is full again.
    expect(battery.level(T0 + 10_000 * S)).toBe(100);
    expect(battery.level(T0 + 10_500 * S)).toBe(95);
  });

  it('rounds to one decimal', () => {
    const battery = new BatteryModel(T0);
    expect(battery.level(T0 + 1234.56 * S)).toBe(87.7);
    expect(battery.level(T0 + 1 * S)).toBe(100);
    expect(battery.level(T0 + 6 * S)).toBe(99.9);
  });

  it('drains the same in manuel as in auto', () => {
    expect(new BatteryModel(T0, 'manuel').level(T0 + 3000 * S)).toBe(
      new BatteryModel(T0, 'auto').level(T0 + 3000 * S),
    );
  });

  it('drains four times slower in economie', () => {
    const eco = new BatteryModel(T0, 'economie');
    const auto = new BatteryModel(T0, 'auto');
    expect(eco.level(T0 + 4000 * S)).toBe(90);
    expect(auto.level(T0 + 1000 * S)).toBe(90);
    expect(eco.level(T0 + 1000 * S)).toBeGreaterThan(auto.level(T0 + 1000 * S));
  });

  it('weights each stretch of time by the mode in use then', () => {
    const battery = new BatteryModel(T0);
    battery.setMode('economie', T0 + 500 * S);
    expect(battery.drainSeconds(T0 + 1500 * S)).toBe(500 + 250);
    battery.setMode('manuel', T0 + 1500 * S);
    expect(battery.level(T0 + 1750 * S)).toBe(100 - (750 + 250) / 100);
  });

  it('drains nothing when the clock goes back', () => {
    const battery = new BatteryModel(T0);
    expect(battery.level(T0 - 100 * S)).toBe(100);
    battery.setMode('economie', T0 - 100 * S);
    expect(battery.drainSeconds(T0 + 400 * S)).toBe(100);
  });

  it('can resume from drain seconds already counted', () => {
    expect(new BatteryModel(T0, 'auto', 3000).level(T0)).toBe(70);
  });
});

import { describe, expect, it } from 'vitest';
import { AlertState } from '../../src/device/alert-state.js';

describe('AlertState', () => {
  it('is off at first, on above the threshold', () => {
    const alert = new AlertState();
    expect(alert.active).toBe(false);
    expect(alert.update(29.9, 30)).toBe(false);
    expect(alert.update(30, 30)).toBe(false);
    expect(alert.update(30.1, 30)).toBe(true);
    expect(alert.active).toBe(true);
  });

  it('turns off only below threshold − hysteresis', () => {
    const alert = new AlertState(0.5);
    alert.update(31, 30);
    expect(alert.update(29.9, 30)).toBe(true);
    expect(alert.update(29.5, 30)).toBe(true);
    expect(alert.update(29.4, 30)).toBe(false);
    expect(alert.update(29.9, 30)).toBe(false);
  });

  it('does not flap while the temperature hovers around the threshold', () => {
    const alert = new AlertState(0.5);
    const temperatures = [29.8, 30.2, 29.7, 30.3, 29.9, 30.1, 29.6, 30.4, 29.8, 30.0];
    let changes = 0;
    let last = alert.active;
    for (const temperature of temperatures) {
      const now = alert.update(temperature, 30);
      if (now !== last) changes += 1;
      last = now;
    }
    expect(changes).toBe(1);
    expect(alert.active).toBe(true);
  });

  it('without hysteresis follows the threshold exactly', () => {
    const alert = new AlertState(0);
    expect(alert.update(30.2, 30)).toBe(true);
    expect(alert.update(29.9, 30)).toBe(false);
  });

  it('follows a threshold change', () => {
    const alert = new AlertState();
    expect(alert.update(26, 30)).toBe(false);
    expect(alert.update(26, 25)).toBe(true);
    expect(alert.update(26, 35)).toBe(false);
  });

  it('can start on', () => {
    expect(new AlertState(0.5, true).active).toBe(true);
  });

  it('refuses a negative hysteresis', () => {
    expect(() => new AlertState(-1)).toThrow(RangeError);
  });
});

import type { Mode } from '@fleet/shared';

/** Seconds of drain for a full cycle, 100 % down to 0 % (then the simulated battery is full again). */
export const BATTERY_CYCLE_S = 10_000;

/** How fast each mode drains the battery, relative to normal use: economy mode lasts four times longer. */
export const DRAIN_RATE: Readonly<Record<Mode, number>> = { auto: 1, manuel: 1, economie: 0.25 };

/**
 * The simulated battery of the original design: 100 − (t mod 10000) / 100, with t the seconds of
 * drain. Drain time is weighted by the mode in use: 1 in auto and manuel, 0.25 in economie.
 * Times are milliseconds from any monotonic clock; a clock going back drains nothing.
 */
export class BatteryModel {
  private drainedS: number;
  private mode: Mode;
  private since: number;

  constructor(startedAtMs: number, mode: Mode = 'auto', drainedSeconds = 0) {
    this.since = startedAtMs;
    this.mode = mode;
    this.drainedS = drainedSeconds;
  }

  /** Seconds of drain up to `nowMs`, weighted by mode. */
  drainSeconds(nowMs: number): number {
    return this.drainedS + (Math.max(0, nowMs - this.since) / 1000) * DRAIN_RATE[this.mode];
  }

  /** Drains at the old mode's rate up to `nowMs`, then at the new one's. */
  setMode(mode: Mode, nowMs: number): void {
    this.drainedS = this.drainSeconds(nowMs);
    this.since = Math.max(this.since, nowMs);
    this.mode = mode;
  }

  /** Battery level in %, rounded to 1 decimal: from 100 down to 0, then full again. */
  level(nowMs: number): number {
    const t = this.drainSeconds(nowMs) % BATTERY_CYCLE_S;
    return Math.round((100 - t / 100) * 10) / 10;
  }
}

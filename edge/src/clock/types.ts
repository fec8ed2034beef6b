import type { Clock } from '@fleet/shared';

/**
 * The device's view of time. The wall clock (`now()`) gives timestamps; it is only trusted while `synced()`
 * says so, because a Pi has no real-time clock and starts with a stale date until NTP sets it. Durations
 * (uptime, the battery model, back-off, OTA steps) use `monotonicMs()`, which never jumps when the wall
 * clock is set.
 */
export interface DeviceClock extends Clock {
  /** Milliseconds from a monotonic clock: never goes back, unaffected by setting the wall clock. */
  monotonicMs(): number;
  /** Whether the wall clock is synchronised now (see edge/src/clock for how it is known). */
  synced(): boolean;
}

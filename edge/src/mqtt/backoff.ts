/**
 * Reconnect delays that double from `initialMs` up to `maxMs`, and start again from `initialMs` once
 * connected. mqtt.js retries at a fixed `reconnectPeriod`; the link feeds it these delays one by one.
 */
export class Backoff {
  private current: number;

  constructor(
    private readonly initialMs = 1_000,
    private readonly maxMs = 30_000,
  ) {
    if (initialMs <= 0 || maxMs < initialMs) {
      throw new RangeError(`Back-off needs 0 < initialMs <= maxMs, received ${initialMs} and ${maxMs}.`);
    }
    this.current = initialMs;
  }

  /** The delay before the next attempt. */
  get delayMs(): number {
    return this.current;
  }

  /** One more failed attempt: the next delay doubles, up to the cap. Returns the new delay. */
  grow(): number {
    this.current = Math.min(this.maxMs, this.current * 2);
    return this.current;
  }

  reset(): number {
    this.current = this.initialMs;
    return this.current;
  }

  get cap(): number {
    return this.maxMs;
  }
}

/**
 * Reconnect delays for MQTT clients: the ceiling doubles from `initialMs` up to `maxMs` after each failed
 * attempt and starts again from `initialMs` once connected. Each delay is drawn between half the ceiling and
 * the ceiling ("equal jitter"), so a fleet that lost its broker at the same moment does not come back in
 * lock-step, and no client ever retries faster than half its ceiling.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A number in [0, 1); Math.random by default, fixed in tests. */
  random?: () => number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly random: () => number;
  private ceiling: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1_000;
    this.maxMs = options.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
    if (this.initialMs <= 0 || this.maxMs < this.initialMs) {
      throw new RangeError(
        `Back-off needs 0 < initialMs <= maxMs, received ${this.initialMs} and ${this.maxMs}.`,
      );
    }
    this.ceiling = this.initialMs;
  }

  /** The ceiling of the next delay (without jitter), for log lines. */
  get currentCeilingMs(): number {
    return this.ceiling;
  }

  /** The delay before the next attempt, drawn in [ceiling / 2, ceiling]; the ceiling then doubles, up to maxMs. */
  next(): number {
    const ceiling = this.ceiling;
    this.ceiling = Math.min(this.maxMs, this.ceiling * 2);
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** Connected: the next delay starts from initialMs again. */
  reset(): void {
    this.ceiling = this.initialMs;
  }
}

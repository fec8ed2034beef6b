/**
 * Reconnect delays for MQTT clients: the ceiling doubles from `initialMs` up to `maxMs` after each failed
 * attempt, and starts again from `initialMs` once a connection has lasted `stableMs`. Each delay is drawn
 * between half the ceiling and the ceiling ("equal jitter"), so a fleet that lost its broker at the same
 * moment does not come back in lock-step. A broker that accepts the login and then hangs up at once (a
 * publish its ACL denies) does not reset the ceiling, so such a client backs off too instead of
 * reconnecting every second forever.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** How long a connection must last for the next delay to start from initialMs again; default 30 s. */
  stableMs?: number;
  /** A number in [0, 1); Math.random by default, fixed in tests. */
  random?: () => number;
  /** Milliseconds; Date.now by default. */
  now?: () => number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly stableMs: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private ceiling: number;
  private connectedAt: number | null = null;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1_000;
    this.maxMs = options.maxMs ?? 30_000;
    this.stableMs = options.stableMs ?? 30_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    if (this.initialMs <= 0 || this.maxMs < this.initialMs) {
      throw new RangeError(
        `Back-off needs 0 < initialMs <= maxMs, received ${this.initialMs} and ${this.maxMs}.`,
      );
    }
    this.ceiling = this.initialMs;
  }

  /** The delay before the next attempt, drawn in [ceiling / 2, ceiling]; the ceiling then doubles, up to maxMs. */
  next(): number {
    const ceiling = this.ceiling;
    this.ceiling = Math.min(this.maxMs, this.ceiling * 2);
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** Starts the ceiling from initialMs again. */
  reset(): void {
    this.ceiling = this.initialMs;
  }

  /** A connection is up (CONNACK accepted). */
  connected(): void {
    this.connectedAt = this.now();
  }

  /**
   * The delay before the next attempt, after a connection closed or an attempt failed. The ceiling starts
   * again from initialMs only when the connection that closed had lasted stableMs.
   */
  afterClose(): number {
    if (this.connectedAt !== null && this.now() - this.connectedAt >= this.stableMs) this.reset();
    this.connectedAt = null;
    return this.next();
  }
}

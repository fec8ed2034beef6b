/** How many messages a paced publisher should have sent after `elapsedMs` at `rate` messages per second. */
export function dueBy(elapsedMs: number, rate: number): number {
  return elapsedMs <= 0 ? 0 : Math.floor((elapsedMs * rate) / 1000);
}

/**
 * Paces sends at a steady rate whatever the timer's jitter: each tick sends what is due since the start,
 * so a late tick catches up instead of lowering the rate.
 */
export class Pacer {
  private sent = 0;

  constructor(
    private readonly rate: number,
    private readonly startedAt: number,
  ) {}

  /** How many to send now (and counts them as sent). */
  take(now: number): number {
    const due = dueBy(now - this.startedAt, this.rate) - this.sent;
    if (due <= 0) return 0;
    this.sent += due;
    return due;
  }

  get total(): number {
    return this.sent;
  }
}

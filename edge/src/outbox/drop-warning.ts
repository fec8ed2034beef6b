import type { Logger } from '@fleet/shared';

/** At most one warning per minute about dropped readings; it says how many since the last one. */
const WARN_INTERVAL_MS = 60_000;

/** Counts dropped readings and warns about them, at most once a minute (on a monotonic clock). */
export class DropWarning {
  private total = 0;
  private sinceWarn = 0;
  private lastWarnAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly fields: Record<string, unknown>,
  ) {}

  get dropped(): number {
    return this.total;
  }

  /** Counts readings dropped that were already told about in a log line of their own. */
  count(count: number): void {
    this.total += count;
  }

  note(count: number, message: string): void {
    this.total += count;
    this.sinceWarn += count;
    const now = this.now();
    if (now - this.lastWarnAt < WARN_INTERVAL_MS) return;
    this.logger.warn({ ...this.fields, dropped: this.sinceWarn, dropped_total: this.total }, message);
    this.lastWarnAt = now;
    this.sinceWarn = 0;
  }
}

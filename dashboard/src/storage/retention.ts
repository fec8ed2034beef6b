import type { Clock, Logger } from '@fleet/shared';
import type { TelemetryStore } from './telemetry-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

export interface RetentionOptions {
  store: Pick<TelemetryStore, 'deleteOlderThan'>;
  clock: Clock;
  logger: Logger;
  historyDays: number;
  /** How often history is trimmed after the first run at start (default hourly). */
  intervalMs?: number;
}

/** Removes telemetry filed (trusted_at) more than HISTORY_DAYS ago: once at start, then on a schedule. */
export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(private readonly options: RetentionOptions) {}

  /** Runs now, then every interval. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => void this.run(), this.options.intervalMs ?? HOUR_MS);
    this.timer.unref();
    await this.run();
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Removes what is older than the cutoff now; resolves to the number of readings removed. */
  run(): Promise<number> {
    this.running ??= this.trim().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Readings filed (trusted_at) before this are removed. */
  cutoff(): number {
    return this.options.clock.now().getTime() - this.options.historyDays * DAY_MS;
  }

  private async trim(): Promise<number> {
    const cutoff = this.cutoff();
    try {
      const removed = await this.options.store.deleteOlderThan(cutoff);
      const level = removed > 0 ? 'info' : 'debug';
      this.options.logger[level](
        { removed, before: new Date(cutoff).toISOString(), history_days: this.options.historyDays },
        'Removed old telemetry',
      );
      return removed;
    } catch (error) {
      this.options.logger.error(
        { err: error },
        'Could not remove old telemetry; trying again at the next run',
      );
      return 0;
    }
  }
}

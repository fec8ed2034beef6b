import type { Clock, Logger } from '@fleet/shared';
import type { ReadingStore } from './reading-store.js';
import type { TelemetryStore } from './telemetry-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

export interface RetentionOptions {
  store: Pick<TelemetryStore | ReadingStore, 'deleteOlderThan' | 'deleteRollupsOlderThan'>;
  clock: Clock;
  logger: Logger;
  /** Days raw readings (and their minute rollups) are kept: HISTORY_DAYS. */
  historyDays: number;
  /** Days the hour rollups are kept: ROLLUP_DAYS (at least historyDays; default historyDays). */
  rollupDays?: number;
  /** How often history is trimmed after the first run at start (default hourly). */
  intervalMs?: number;
}

/**
 * Removes telemetry filed (trusted_at) more than HISTORY_DAYS ago with its minute rollups, and hour
 * rollups more than ROLLUP_DAYS old: once at start, then on a schedule.
 */
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

  /** Removes what is older than the cutoffs now; resolves to the number of readings removed. */
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

  /** Hour rollups that end before this are removed. */
  rollupCutoff(): number {
    const days = Math.max(this.options.historyDays, this.options.rollupDays ?? this.options.historyDays);
    return this.options.clock.now().getTime() - days * DAY_MS;
  }

  private async trim(): Promise<number> {
    const cutoff = this.cutoff();
    const rollupCutoff = this.rollupCutoff();
    try {
      const removed = await this.options.store.deleteOlderThan(cutoff);
      const rollups = await this.options.store.deleteRollupsOlderThan(cutoff, rollupCutoff);
      const level = removed > 0 ? 'info' : 'debug';
      this.options.logger[level](
        {
          removed,
          rollups_removed: rollups,
          before: new Date(cutoff).toISOString(),
          rollups_before: new Date(rollupCutoff).toISOString(),
          history_days: this.options.historyDays,
          rollup_days: this.options.rollupDays ?? this.options.historyDays,
        },
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

import type { Logger } from '@fleet/shared';
import type { RollupStep } from './rollups.js';

/** Readings per transaction: a step holds the thread a few milliseconds (see the history bench). */
export const ROLLUP_BATCH = 5_000;
/** A backlog this large at a run is said at info (a database filled elsewhere, a restart after a while). */
const BACKLOG_LOGGED = 100_000;

export interface RollupJobOptions {
  store: { rollUp(maxRows: number): RollupStep | Promise<RollupStep> };
  logger: Logger;
  /** How often new readings are rolled up (default every second). */
  intervalMs?: number;
  batch?: number;
}

/**
 * Keeps the rollups up to date in the background: every interval, rolls up what the ingest stored since,
 * a small transaction at a time with a pause for other work in between, until caught up. At start it
 * catches up with a database filled by any earlier run or tool.
 */
export class RollupJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;
  /** The last run failed (a full disk, a locked database): said once, and again when it works. */
  private failing = false;

  constructor(private readonly options: RollupJobOptions) {}

  /** Starts the schedule and a first run (not awaited: a large backlog is worked off in the background). */
  start(): void {
    if (this.timer) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.run(), this.options.intervalMs ?? 1000);
    this.timer.unref();
    void this.run();
  }

  /** Stops the schedule and waits for the current transaction to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Rolls up until caught up (or stopped); resolves to the readings rolled up. */
  run(): Promise<number> {
    this.running ??= this.catchUp().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async catchUp(): Promise<number> {
    const { store, logger } = this.options;
    const batch = this.options.batch ?? ROLLUP_BATCH;
    const started = Date.now();
    let merged = 0;
    let announced = false;
    try {
      for (;;) {
        const step = await store.rollUp(batch);
        merged += step.merged;
        if (!announced && step.pending >= BACKLOG_LOGGED) {
          announced = true;
          logger.info({ pending: step.pending }, `Rolling up ${step.pending} stored readings`);
        }
        if ((step.pending === 0 && step.recomputed === 0) || this.stopped) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.failing) {
        this.failing = false;
        logger.info('Rolling up the new readings works again');
      }
    } catch (error) {
      // Once per failure, not every second: a state change.
      if (!this.failing) {
        this.failing = true;
        logger.error({ err: error }, 'Could not roll up the new readings; trying again every run');
      }
    }
    if (announced) {
      logger.info({ readings: merged, ms: Date.now() - started }, 'Rollups caught up');
    }
    return merged;
  }
}

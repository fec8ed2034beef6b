import type { DeviceSettings, Logger } from '@fleet/shared';

/**
 * In `economie` mode the device reads `intervalle × ECONOMY_FACTOR` seconds apart (and the battery model
 * drains at 1/ECONOMY_FACTOR of the normal rate): with the default 5 s interval, one reading every 20 s.
 */
export const ECONOMY_FACTOR = 4;

/** Milliseconds between periodic readings, or null when the settings take none (`manuel`, or `actif: false`). */
export function readingPeriodMs(
  settings: Pick<DeviceSettings, 'mode' | 'intervalle' | 'actif'>,
): number | null {
  if (!settings.actif || settings.mode === 'manuel') return null;
  const factor = settings.mode === 'economie' ? ECONOMY_FACTOR : 1;
  return settings.intervalle * factor * 1000;
}

export interface ReadingSchedulerOptions {
  /** Takes one reading and queues its telemetry; the scheduler never runs two at once. */
  takeReading: () => Promise<void>;
  logger: Logger;
}

/**
 * When readings are taken. `auto`: every `intervalle` s; `economie`: every `intervalle × 4` s; `manuel`:
 * only on `readNow()`; `actif: false`: none at all. A change of settings reschedules at once: the next
 * reading comes one new period later, or right away when periodic readings resume (from `manuel` or
 * `actif: false`). Readings run one after the other, so their seq numbers follow the order they were taken.
 */
export class ReadingScheduler {
  private timer: ReturnType<typeof setInterval> | null = null;
  private periodMs: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  private busy = false;
  private running = false;

  constructor(private readonly options: ReadingSchedulerOptions) {}

  /** Starts periodic readings for `settings`, the first one right away. */
  start(settings: DeviceSettings): void {
    this.running = true;
    this.periodMs = null;
    this.update(settings);
  }

  /** Applies new settings at once. */
  update(settings: DeviceSettings): void {
    if (!this.running) return;
    const period = readingPeriodMs(settings);
    if (period === this.periodMs) return;
    const resumed = this.periodMs === null && period !== null;
    this.clear();
    this.periodMs = period;
    if (period === null) {
      this.options.logger.info({ mode: settings.mode, actif: settings.actif }, 'periodic readings stopped');
      return;
    }
    this.options.logger.info(
      { mode: settings.mode, intervalle: settings.intervalle, period_s: period / 1000 },
      'periodic readings scheduled',
    );
    this.timer = setInterval(() => this.tick(), period);
    if (resumed) this.tick();
  }

  /** One reading now, whatever the mode; resolves once it is queued. */
  readNow(): Promise<void> {
    return this.enqueue();
  }

  /**
   * Runs `work` (e.g. a command's reading with the command's other effects) between two readings, never
   * during one, so readings keep following each other; it runs even once the scheduler is stopped.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** No more readings; waits for the one being taken. */
  async stop(): Promise<void> {
    this.running = false;
    this.clear();
    this.periodMs = null;
    await this.chain;
  }

  /** The period in use, or null when no periodic readings are taken. */
  get currentPeriodMs(): number | null {
    return this.periodMs;
  }

  private tick(): void {
    if (this.busy) {
      this.options.logger.debug('previous reading still running; this tick is skipped');
      return;
    }
    void this.enqueue();
  }

  private enqueue(): Promise<void> {
    const next = this.chain.then(async () => {
      if (!this.running) return;
      this.busy = true;
      try {
        await this.options.takeReading();
      } catch (error) {
        this.options.logger.error({ err: error }, 'reading failed');
      } finally {
        this.busy = false;
      }
    });
    this.chain = next;
    return next;
  }

  private clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

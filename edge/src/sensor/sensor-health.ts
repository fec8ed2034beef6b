import type { Logger, SensorSource, SensorStatus } from '@fleet/shared';
import { toError } from './i2c.js';
import type { SensorSearch } from './sensor-search.js';
import type { Reading, SensorReader } from './types.js';

export type SensorStatusListener = (status: SensorStatus) => void;

export interface GuardedSensorOptions {
  logger: Logger;
  /** Called on each change of health (healthy → faulty, faulty → healthy). */
  onChange?: SensorStatusListener;
  /** First retry delay; it doubles after each failed retry. Default 1000 ms. */
  initialRetryMs?: number;
  /** Longest retry delay. Default 30 000 ms. */
  maxRetryMs?: number;
  /** With SENSOR=auto on the synthetic model: the search for a chip wired later, run between start and stop. */
  search?: SensorSearch | null;
}

/**
 * Keeps a read error from stopping the device. While the sensor is healthy, read() takes a reading.
 * When a read fails, the sensor turns faulty: one warning is logged, listeners are told, and read()
 * resolves null without touching the sensor. Meanwhile, once start()ed, the sensor is tried again on its
 * own timer, after 1 s, 2 s, 4 s … at most 30 s, until a read succeeds; then it is healthy again, one
 * info line is logged and listeners are told.
 *
 * The read that detects recovery is a health check: its values are not returned to anyone, since they
 * belong to no scheduled reading; the next read() takes a fresh one.
 *
 * With a `search` (SENSOR=auto, no chip at start), a chip that answers later replaces the synthetic model:
 * one info line, listeners told, and the model closed. A read already under way finishes on the old reader.
 */
export class GuardedSensor {
  private healthy = true;
  private error: string | null = null;
  private started = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs: number;
  private failedRetries = 0;
  private retrying = false;
  private readonly listeners = new Set<SensorStatusListener>();
  private readonly initialRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly logger: Logger;

  private reader: SensorReader;
  private readonly search: SensorSearch | null;

  constructor(reader: SensorReader, options: GuardedSensorOptions) {
    this.reader = reader;
    this.search = options.search ?? null;
    this.logger = options.logger;
    this.initialRetryMs = options.initialRetryMs ?? 1000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.retryDelayMs = this.initialRetryMs;
    if (options.onChange) this.listeners.add(options.onChange);
  }

  get source(): SensorSource {
    return this.reader.source;
  }

  get bus(): number | null {
    return this.reader.bus;
  }

  get address(): string | null {
    return this.reader.address;
  }

  /** Allows retries on the timer (and schedules one if the sensor is already faulty), and starts the search. */
  start(): void {
    this.started = true;
    if (!this.healthy) this.scheduleRetry();
    this.search?.start((reader) => void this.switchTo(reader));
  }

  /** Stops the retry timer and the search; read() still works. */
  stop(): void {
    this.started = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.search?.stop();
  }

  /** stop(), then closes the underlying reader. */
  async close(): Promise<void> {
    this.stop();
    await this.reader.close();
  }

  /** A reading, or null while the sensor is faulty (then no reading is taken). */
  async read(): Promise<Reading | null> {
    if (!this.healthy) return null;
    const reader = this.reader;
    try {
      return await reader.read();
    } catch (error) {
      if (reader === this.reader) this.becomeFaulty(toError(error).message);
      return null;
    }
  }

  status(): SensorStatus {
    return {
      source: this.reader.source,
      bus: this.reader.bus,
      address: this.reader.address,
      healthy: this.healthy,
      error: this.error,
    };
  }

  /** Adds a listener for changes of health; returns a function that removes it. */
  onChange(listener: SensorStatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Readings come from `next` from now on (a chip found by the search); the old reader is closed. */
  private async switchTo(next: SensorReader): Promise<void> {
    const previous = this.reader;
    this.reader = next;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.healthy = true;
    this.error = null;
    this.failedRetries = 0;
    this.retryDelayMs = this.initialRetryMs;
    this.logger.info(
      { sensor: next.source, bus: next.bus, address: next.address, previous: previous.source },
      `sensor: ${next.source.toUpperCase()} found at ${next.address} on I²C bus ${next.bus}; readings now come from it instead of the ${previous.source} model`,
    );
    this.notify();
    await previous.close().catch((error: unknown) => {
      this.logger.warn({ err: toError(error).message }, 'the previous sensor did not close cleanly');
    });
  }

  private becomeFaulty(message: string): void {
    if (!this.healthy) return;
    this.healthy = false;
    this.error = message;
    this.retryDelayMs = this.initialRetryMs;
    this.failedRetries = 0;
    this.logger.warn(
      { sensor: this.reader.source, error: message, retryInMs: this.retryDelayMs },
      `sensor read failed; readings pause until it answers again: ${message}`,
    );
    this.notify();
    if (this.started) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.retrying) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.retry();
    }, this.retryDelayMs);
  }

  private async retry(): Promise<void> {
    this.retrying = true;
    const reader = this.reader;
    let failure: Error | null = null;
    try {
      await reader.read();
    } catch (error) {
      failure = toError(error);
    }
    this.retrying = false;
    // The search replaced the reader meanwhile: its health is the new one's.
    if (reader !== this.reader) return;
    if (failure) {
      this.failedRetries += 1;
      this.error = failure.message;
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.maxRetryMs);
      this.logger.debug(
        {
          sensor: this.reader.source,
          error: this.error,
          failedRetries: this.failedRetries,
          retryInMs: this.retryDelayMs,
        },
        'sensor still failing',
      );
      if (this.started) this.scheduleRetry();
      return;
    }
    this.healthy = true;
    this.error = null;
    this.logger.info(
      { sensor: this.reader.source, failedRetries: this.failedRetries },
      'sensor recovered; readings resume',
    );
    this.failedRetries = 0;
    this.retryDelayMs = this.initialRetryMs;
    this.notify();
  }

  private notify(): void {
    const status = this.status();
    for (const listener of this.listeners) {
      try {
        listener(status);
      } catch (error) {
        this.logger.error({ error: toError(error).message }, 'sensor status listener failed');
      }
    }
  }
}

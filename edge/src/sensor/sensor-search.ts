import type { Logger } from '@fleet/shared';
import { toError } from './i2c.js';
import type { FoundChip } from './select-sensor.js';
import type { SensorReader } from './types.js';

/** How often a device on the synthetic model with SENSOR=auto looks for the chip again. */
export const SENSOR_SEARCH_PERIOD_MS = 60_000;

export interface SensorSearchOptions {
  /** One look for the chip (findChip): a reader when it answers, else why not. */
  find: () => Promise<FoundChip>;
  /** Between two looks; default SENSOR_SEARCH_PERIOD_MS. */
  periodMs?: number;
  logger: Logger;
}

/**
 * Looks for a chip wired after start: once start()ed, every `periodMs` it probes the bus, until a chip
 * answers; then it hands the opened reader over and stops. A look that finds nothing is logged at debug when
 * its reason differs from the last one. stop() ends it; a chip found after stop() is closed again.
 */
export class SensorSearch {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private onFound: ((reader: SensorReader) => void) | null = null;
  private lastReason: string | null = null;
  private readonly periodMs: number;

  constructor(private readonly options: SensorSearchOptions) {
    this.periodMs = options.periodMs ?? SENSOR_SEARCH_PERIOD_MS;
  }

  /** Starts looking; `onFound` gets the chip's reader, once. */
  start(onFound: (reader: SensorReader) => void): void {
    if (this.running) return;
    this.running = true;
    this.onFound = onFound;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (!this.running || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.look();
    }, this.periodMs);
  }

  private async look(): Promise<void> {
    let found: FoundChip;
    try {
      found = await this.options.find();
    } catch (error) {
      found = { ok: false, reason: toError(error).message };
    }
    if (!this.running) {
      if (found.ok) await found.reader.close().catch(() => undefined);
      return;
    }
    if (found.ok) {
      this.running = false;
      this.onFound?.(found.reader);
      return;
    }
    if (found.reason !== this.lastReason) {
      this.lastReason = found.reason;
      this.options.logger.debug(
        { reason: found.reason, retryInMs: this.periodMs },
        `sensor: still none usable: ${found.reason}`,
      );
    }
    this.schedule();
  }
}

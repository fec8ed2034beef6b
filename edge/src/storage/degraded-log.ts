import type { Logger } from '@fleet/shared';
import { describeStorageError } from './storage-errors.js';

/**
 * One degraded-storage case, logged once when it begins (with what the edge does about it) and once at info
 * when it clears, however many failures come in between.
 */
export class DegradedLog {
  private failing = false;
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    private readonly level: 'warn' | 'error' = 'error',
  ) {}

  /** Notes a failure; the first one since the case cleared is logged with `whatIsDone`. */
  fail(error: unknown, whatIsDone: string, fields: Record<string, unknown> = {}): void {
    this.failures += 1;
    if (this.failing) return;
    this.failing = true;
    this.logger[this.level](
      { ...fields, err: describeStorageError(error) },
      `${describeStorageError(error)}: ${whatIsDone}`,
    );
  }

  /** Notes a success; logged at info when it ends a failing period. */
  clear(message: string, fields: Record<string, unknown> = {}): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info({ ...fields, failures: this.failures }, message);
    this.failures = 0;
  }
}

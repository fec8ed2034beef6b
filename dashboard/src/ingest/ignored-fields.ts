import type { Logger } from '@fleet/shared';

/** Past this many distinct field names, the rest are counted together (a device cannot grow the map). */
const MAX_NAMES = 100;
const OTHER = '(other)';

/**
 * Fields of device messages that this release does not know (a newer device during a rolling update):
 * left out of what is stored, counted per field name, and logged at debug with each message.
 */
export class IgnoredFields {
  private readonly counts = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  record(deviceId: string, topic: string, fields: readonly string[]): void {
    for (const field of fields) {
      const key = this.counts.has(field) || this.counts.size < MAX_NAMES ? field : OTHER;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
    this.logger.debug(
      { device_id: deviceId, topic, fields, ignored_total: this.snapshot() },
      'Ignored fields this release does not know; the rest of the message is used',
    );
  }

  /** Messages that carried each unknown field, by field name. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}

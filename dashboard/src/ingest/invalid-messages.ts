import type { Clock, Logger } from '@fleet/shared';

const LOG_EVERY_MS = 60_000;
/** Past this many distinct senders, the rest are counted together (a flood of made-up ids stays bounded). */
const MAX_KEYS = 10_000;
const OTHER = '(other)';

interface Entry {
  count: number;
  lastLoggedAt: number | null;
  /** Invalid messages since the last log line. */
  unlogged: number;
}

/** Counts invalid messages per device and logs at most one line per device per minute. */
export class InvalidMessages {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** `deviceId` is the id segment of the topic, whether valid or not. */
  record(deviceId: string, topic: string, error: string): void {
    const key = this.entries.has(deviceId) || this.entries.size < MAX_KEYS ? deviceId : OTHER;
    const entry = this.entries.get(key) ?? { count: 0, lastLoggedAt: null, unlogged: 0 };
    this.entries.set(key, entry);
    entry.count += 1;
    entry.unlogged += 1;
    const now = this.clock.now().getTime();
    if (entry.lastLoggedAt !== null && now - entry.lastLoggedAt < LOG_EVERY_MS) return;
    this.logger.warn(
      { device_id: key, topic, error, invalid_total: entry.count, invalid_since_last_log: entry.unlogged },
      'Ignored an invalid message (logged at most once per device per minute)',
    );
    entry.lastLoggedAt = now;
    entry.unlogged = 0;
  }

  /** Invalid messages so far, by device id. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.entries].map(([key, entry]) => [key, entry.count]));
  }

  total(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.count;
    return total;
  }
}

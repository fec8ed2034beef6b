import type { Logger } from '@fleet/shared';
import type { DashboardEvents } from '../events.js';
import type { DeviceRecord } from './device-record.js';

export interface RegistryWriterDeps {
  /** SQLite answers at once; PostgreSQL (DATABASE_URL) with a promise. */
  store: { saveDevices(records: readonly DeviceRecord[]): void | Promise<void> };
  /** A forgotten device's pending record is dropped, so that it is not written back. */
  events: Pick<DashboardEvents, 'on'>;
  logger: Logger;
  /** How often the changed records are written (default 1000 ms): each device at most once per period. */
  intervalMs?: number;
}

/**
 * Persists the device registry (the `devices` table) at most once a period per device, instead of in the
 * transaction of every group of messages: the ingest hands over the records it changed once their messages
 * are committed, and the latest version of each is written at the next tick, all in one transaction.
 *
 * What this costs at a crash: the registry rows of the last period. Every reading is in its own group's
 * commit, so recoverRegistry (fleet/registry-recovery.ts) makes `latest` (and `last_seen`, a new device)
 * good again from the stored readings at the next start; a status or availability of that last period is
 * replayed by the broker (retained) at the next subscription. A clean stop writes everything (`stop()`).
 * While the database refuses the write, the records stay pending and are tried again at each tick.
 */
export class RegistryWriter {
  private readonly pending = new Map<string, DeviceRecord>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private failingSince: number | null = null;
  /** An asynchronous write under way (PostgreSQL). */
  private writing: Promise<void> | null = null;
  /** Stopped: what is still pending after a write under way is written next, without waiting for a tick. */
  private stopped = false;

  constructor(private readonly deps: RegistryWriterDeps) {}

  /** Records changed by committed messages; the last one of each device wins. */
  changed(records: Iterable<DeviceRecord>): void {
    for (const record of records) this.pending.set(record.device_id, record);
  }

  start(): void {
    if (this.timer) return;
    this.unsubscribe = this.deps.events.on('forgotten', ({ device_id }) => this.pending.delete(device_id));
    this.timer = setInterval(() => this.flush(), this.deps.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Writes what is pending now; false when the database refused (it stays pending). */
  flush(): boolean {
    if (this.pending.size === 0) return true;
    if (this.writing) return false;
    const records = [...this.pending.values()];
    let result: void | Promise<void>;
    try {
      result = this.deps.store.saveDevices(records);
    } catch (error) {
      this.refused(error, records.length);
      return false;
    }
    if (result instanceof Promise) {
      // Out of pending while written; back in when refused, unless a newer version came meanwhile.
      for (const record of records) {
        if (this.pending.get(record.device_id) === record) this.pending.delete(record.device_id);
      }
      this.writing = result.then(
        () => {
          this.writing = null;
          this.written(records.length);
          if (this.stopped) this.flush();
        },
        (error: unknown) => {
          this.writing = null;
          for (const record of records) {
            if (!this.pending.has(record.device_id)) this.pending.set(record.device_id, record);
          }
          this.refused(error, records.length);
        },
      );
      return false;
    }
    this.pending.clear();
    this.written(records.length);
    return true;
  }

  /** Resolves once no asynchronous write is under way. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private refused(error: unknown, pending: number): void {
    if (this.failingSince === null) {
      this.failingSince = Date.now();
      this.deps.logger.error(
        { err: error, pending },
        'The device registry cannot be written; its changes stay in memory and are tried again every second (readings are not affected: they are stored with their messages)',
      );
    }
  }

  private written(count: number): void {
    if (this.failingSince !== null) {
      this.deps.logger.info(
        { failed_ms: Date.now() - this.failingSince, written: count },
        'The device registry can be written again',
      );
      this.failingSince = null;
    }
  }

  /** Stops the timer and writes what is pending (an asynchronous store: after the write under way). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.flush();
  }
}

import type { Telemetry } from '@fleet/shared';
import { DEFAULT_OUTBOX_MAX } from '../config.js';
import type { DeviceClock } from './types.js';

function keyOf(telemetry: Pick<Telemetry, 'epoch' | 'seq'>): string {
  return `${telemetry.epoch ?? ''}:${telemetry.seq}`;
}

/**
 * Sets right the time of readings taken while the wall clock was not synchronised, once it is. Each such
 * reading is remembered (by epoch and seq) with the monotonic time it was taken at; when it is published
 * after the clock became synchronised in the same process, its timestamp becomes
 * `now − (monotonic now − monotonic taken)`, exact whatever the clock did meanwhile, and `clock_synced`
 * true. The first re-stamp of a reading is kept, so a publish that is repeated says the same. Readings taken
 * before this process started (still queued from an earlier run) keep `clock_synced: false`: the
 * dashboard files them by the time it received them.
 */
export class ReadingRestamper {
  private readonly taken = new Map<string, { monotonicMs: number; restamped: string | null }>();

  constructor(
    private readonly clock: DeviceClock,
    /** Readings remembered at most (the oldest are forgotten first): OUTBOX_MAX. */
    private readonly max = DEFAULT_OUTBOX_MAX,
  ) {}

  /** Remembers a reading taken at `monotonicMs` while the clock was not synchronised. */
  noteUnsynced(reading: Pick<Telemetry, 'epoch' | 'seq'>, monotonicMs: number): void {
    this.taken.set(keyOf(reading), { monotonicMs, restamped: null });
    if (this.taken.size > this.max) {
      const oldest = this.taken.keys().next().value;
      if (oldest !== undefined) this.taken.delete(oldest);
    }
  }

  /** How many readings are remembered. */
  get size(): number {
    return this.taken.size;
  }

  /** The reading as it is to be published now: re-stamped when that is possible, else as it is. */
  restamp(telemetry: Telemetry): Telemetry {
    if (telemetry.clock_synced !== false) return telemetry;
    const entry = this.taken.get(keyOf(telemetry));
    if (!entry) return telemetry;
    if (entry.restamped === null) {
      if (!this.clock.synced()) return telemetry;
      const ageMs = this.clock.monotonicMs() - entry.monotonicMs;
      entry.restamped = new Date(this.clock.now().getTime() - ageMs).toISOString();
    }
    return { ...telemetry, timestamp: entry.restamped, clock_synced: true };
  }

  /** Forgets a reading once the broker has it. */
  forget(reading: Pick<Telemetry, 'epoch' | 'seq'>): void {
    this.taken.delete(keyOf(reading));
  }
}

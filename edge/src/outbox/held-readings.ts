import type { Logger, Telemetry } from '@fleet/shared';
import { DegradedLog } from '../storage/degraded-log.js';
import type { Transactor } from '../storage/transactor.js';
import type { DropWarning } from './drop-warning.js';

/**
 * The outbox's readings held in memory while the database refuses writes (a full disk), oldest first: at
 * most `max`, the oldest dropped and counted beyond that, and written with the next write that succeeds.
 */
export class HeldReadings {
  private memory: Telemetry[] = [];
  private readonly log: DegradedLog;

  constructor(
    private readonly tx: Transactor,
    logger: Logger,
    private readonly max: number,
    private readonly drops: DropWarning,
  ) {
    this.log = new DegradedLog(logger, 'error');
  }

  /** How many readings are held. */
  get size(): number {
    return this.memory.length;
  }

  /** The readings held, oldest first. */
  get readings(): readonly Telemetry[] {
    return this.memory;
  }

  /** Takes out the held reading with this epoch and seq; false when it is not held. */
  remove(item: { epoch?: string | undefined; seq: number }): boolean {
    const index = this.memory.findIndex((held) => held.seq === item.seq && held.epoch === item.epoch);
    if (index < 0) return false;
    this.memory.splice(index, 1);
    return true;
  }

  /** Holds a reading the database refused (`error`), dropping the oldest beyond `max`. */
  hold(telemetry: Telemetry, error: unknown): void {
    this.log.fail(
      error,
      `readings are held in memory (at most ${this.max}), published live while the broker is up, and written when the database accepts writes again`,
      { seq: telemetry.seq, epoch: telemetry.epoch },
    );
    this.memory.push(telemetry);
    if (this.memory.length <= this.max) return;
    this.memory.shift();
    this.drops.note(
      1,
      `The disk is full and the broker out of reach: more than ${this.max} readings in memory; dropping the oldest.`,
    );
  }

  /** Writes the readings held with `insert` (in the running transaction); they are let go once it commits. */
  writeAll(insert: (telemetry: Telemetry) => void): void {
    const held = this.memory;
    for (const telemetry of held) insert(telemetry);
    this.tx.onCommit(() => {
      // Any write that commits ends a period of refused writes, whether or not readings were still held.
      this.log.clear(
        `The database accepts writes again; the ${held.length} reading(s) still held in memory are written to it.`,
        { written: held.length },
      );
    });
    if (held.length === 0) return;
    this.tx.onCommit(() => {
      this.memory = this.memory.slice(held.length);
    });
  }
}

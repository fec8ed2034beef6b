import type { Logger, Telemetry } from '@fleet/shared';
import { DegradedLog } from '../storage/degraded-log.js';
import { storageFailure } from '../storage/storage-errors.js';
import type { Transactor } from '../storage/transactor.js';
import { DropWarning } from './drop-warning.js';
import { HeldReadings } from './held-readings.js';
import { HiddenRows } from './hidden-rows.js';
import { type OutboxStatements, prepareOutboxStatements } from './outbox-statements.js';

/** A reading's identity: its epoch (none for readings of the previous release) and its seq. */
export interface ReadingIdentity {
  epoch?: string | undefined;
  seq: number;
}

/** Builds the reading that gets this identity. */
export type BuildReading = (identity: { epoch: string; seq: number }) => Telemetry;

export interface SqliteOutboxOptions {
  tx: Transactor;
  logger: Logger;
  /** Readings kept at most (OUTBOX_MAX); when full, the oldest is dropped to make room. */
  max: number;
  /** The epoch new readings are counted in, and the seq of the next one. */
  epoch: string;
  seqNext: number;
  /** Writes the epoch's next seq (and that the run has not stopped cleanly) in the running transaction. */
  saveSeqNext: (seqNext: number) => void;
  /** Readings held in memory at most while the database refuses writes (default 10 000). */
  memoryMax?: number;
  /**
   * Milliseconds from a monotonic clock, for rate-limiting the warnings about dropped readings (default
   * performance.now: a wall clock set back would silence them until it caught up).
   */
  now?: () => number;
}

export const DEFAULT_MEMORY_MAX = 10_000;

/**
 * The readings on their way to the broker, in the edge's SQLite database, oldest first.
 *
 * - `take()` numbers a reading (the next seq of the epoch) and inserts it in the same transaction as the new
 *   seq counter: seq is contiguous, 0, 1, 2, …, and a committed reading survives a power cut.
 * - When the database refuses the write (a full disk), the reading is held in memory instead (at most
 *   `memoryMax`, the oldest dropped and counted beyond that), published live while the broker is up, and
 *   written with the next write that succeeds.
 * - `remove()` takes out what the broker acknowledged. A removal that cannot be written is kept in memory,
 *   hidden from `peek()`, and retried with the next write; after a restart such a reading may go out twice
 *   (receivers store each (device, epoch, seq) once), never zero times.
 * - At `max` readings the oldest is dropped to make room, with a warning at most once a minute.
 */
export class SqliteOutbox {
  private readonly tx: Transactor;
  private readonly logger: Logger;
  private readonly statements: OutboxStatements;
  private readonly hidden: HiddenRows;
  private readonly drops: DropWarning;
  private next: number;
  private rows = 0;
  private readonly memory: HeldReadings;
  /** Rows added (+) or removed (−) and readings dropped by the transaction under way. */
  private txRows = 0;
  private txDropped = 0;
  private readonly removeLog: DegradedLog;

  constructor(private readonly options: SqliteOutboxOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) {
      throw new RangeError(`The outbox max must be a whole number ≥ 1, got ${options.max}.`);
    }
    this.tx = options.tx;
    this.logger = options.logger;
    const memoryMax = options.memoryMax ?? DEFAULT_MEMORY_MAX;
    this.next = options.seqNext;
    this.statements = prepareOutboxStatements(options.tx.db);
    this.hidden = new HiddenRows(this.statements);
    this.drops = new DropWarning(options.logger, options.now ?? (() => performance.now()), {
      max: options.max,
      memory_max: memoryMax,
    });
    this.memory = new HeldReadings(options.tx, options.logger, memoryMax, this.drops);
    this.removeLog = new DegradedLog(options.logger, 'warn');
  }

  /** Counts what is queued and trims an outbox that holds more than `max` (e.g. OUTBOX_MAX was lowered). */
  open(): void {
    this.rows = this.statements.count.get()?.n ?? 0;
    const excess = this.rows - this.options.max;
    if (excess <= 0) return;
    try {
      this.tx.run(() => this.statements.dropOldest.run(excess));
    } catch (error) {
      if (storageFailure(error) === null) throw error;
      this.logger.warn(
        { err: (error as Error).message, queued: this.rows, max: this.options.max },
        'The outbox holds more than OUTBOX_MAX readings and cannot be trimmed now; they are all delivered.',
      );
      return;
    }
    this.rows -= excess;
    this.drops.count(excess);
    this.logger.warn(
      { dropped: excess, max: this.options.max },
      `The outbox held more than OUTBOX_MAX (${this.options.max}) readings; dropped the ${excess} oldest.`,
    );
  }

  /** Readings waiting for the broker: in the database and held in memory. */
  get size(): number {
    return this.rows - this.hidden.size + this.memory.size;
  }

  /** Readings held in memory because the database refused them. */
  get held(): number {
    return this.memory.size;
  }

  /** Readings dropped since start: the outbox full (OUTBOX_MAX), or memory full while the disk was. */
  get dropped(): number {
    return this.drops.dropped;
  }

  /** The seq the next reading gets. */
  get seqNext(): number {
    return this.next;
  }

  /**
   * Numbers and queues a reading. Never fails for a storage reason: when the database refuses it, the reading
   * is held in memory (see the class comment). Gives the reading as queued.
   */
  take(build: BuildReading): Telemetry {
    const seq = this.next;
    const telemetry = build({ epoch: this.options.epoch, seq });
    try {
      this.write(telemetry);
    } catch (error) {
      if (storageFailure(error) === null) throw error;
      this.next = seq + 1;
      this.memory.hold(telemetry, error);
    }
    return telemetry;
  }

  /**
   * Numbers and writes a reading in the running transaction (or one of its own), e.g. with a command's other
   * effects; throws, having queued nothing and used no seq, when it cannot be written.
   */
  add(build: BuildReading): Telemetry {
    const telemetry = build({ epoch: this.options.epoch, seq: this.next });
    this.write(telemetry);
    return telemetry;
  }

  /** Up to `n` readings, oldest first. */
  peek(n: number): Telemetry[] {
    const out: Telemetry[] = [];
    if (this.rows - this.hidden.size > 0) {
      for (const row of this.statements.peek.all(this.hidden.cursor, n + this.hidden.scattered)) {
        if (out.length >= n) break;
        if (!this.hidden.has(row.id)) out.push(JSON.parse(row.body) as Telemetry);
      }
    }
    for (const item of this.memory.readings) {
      if (out.length >= n) break;
      out.push(item);
    }
    return out;
  }

  /** Takes out readings the broker acknowledged; unknown ones are ignored. Never fails for a storage reason. */
  remove(items: readonly ReadingIdentity[]): void {
    const onDisk: ReadingIdentity[] = [];
    for (const item of items) if (!this.memory.remove(item)) onDisk.push(item);
    if (onDisk.length === 0) return;
    try {
      this.transaction(() => {
        this.writeHeld();
        for (const item of onDisk)
          this.txRows -= this.statements.remove.run(item.epoch ?? null, item.seq).changes;
        if (this.memory.size > 0) this.options.saveSeqNext(this.next);
      });
    } catch (error) {
      if (storageFailure(error) === null) throw error;
      this.hidden.hide(onDisk);
      this.removeLog.fail(
        error,
        'delivered readings stay in the database, not sent again while the edge runs, and are removed once it accepts writes (after a restart they may be delivered twice)',
        { pending: this.hidden.size },
      );
    }
  }

  /**
   * In the running transaction: writes what is held in memory, the removals not written yet and the seq
   * counter. For a clean stop, which must not claim a seq that is not on disk.
   */
  catchUp(): void {
    this.transaction(() => {
      this.writeHeld();
      this.options.saveSeqNext(this.next);
    });
  }

  /**
   * Imports readings of the previous release as they were (no epoch), after what is queued; a reading already
   * there (same seq, no epoch) is not added twice. In the running transaction; gives how many were added.
   */
  importLegacy(readings: ReadonlyArray<{ seq: number; line: string }>): number {
    let added = 0;
    this.transaction(() => {
      for (const { seq, line } of readings) {
        const changes = this.statements.insertLegacy.run({ seq, line }).changes;
        added += changes;
        this.txRows += changes;
        this.trimToMax();
      }
    });
    return added;
  }

  private write(telemetry: Telemetry): void {
    const seq = telemetry.seq;
    this.transaction(() => {
      this.next = seq + 1;
      this.tx.onRollback(() => {
        this.next = seq;
      });
      this.writeHeld();
      this.insert(telemetry);
      this.options.saveSeqNext(seq + 1);
    });
  }

  /** Runs `work` in the transaction; on commit counts its rows and drops, on rollback forgets them. */
  private transaction(work: () => void): void {
    this.tx.run(() => {
      this.tx.onRollback(() => {
        this.txRows = 0;
        this.txDropped = 0;
      });
      work();
      this.tx.onCommit(() => this.committed());
    });
  }

  private committed(): void {
    this.rows += this.txRows;
    const dropped = this.txDropped;
    this.txRows = 0;
    this.txDropped = 0;
    if (dropped > 0) {
      this.drops.note(
        dropped,
        `The outbox is full (OUTBOX_MAX=${this.options.max}); dropping the oldest readings to keep the newest.`,
      );
    }
  }

  /** Writes the readings held in memory and the pending removals (in the running transaction). */
  private writeHeld(): void {
    const hidden = this.hidden.size;
    // Removals first, so that OUTBOX_MAX counts only readings still to deliver.
    if (hidden > 0) this.txRows -= this.hidden.deleteAll();
    this.memory.writeAll((telemetry) => this.insert(telemetry));
    if (hidden === 0) return;
    this.tx.onCommit(() => {
      this.hidden.clear();
      this.removeLog.clear('The database accepts the removal of delivered readings again.');
    });
  }

  private insert(telemetry: Telemetry): void {
    this.statements.insert.run(telemetry.epoch ?? null, telemetry.seq, JSON.stringify(telemetry));
    this.txRows += 1;
    this.trimToMax();
  }

  private trimToMax(): void {
    const over = this.rows + this.txRows - this.options.max;
    if (over <= 0) return;
    this.txRows -= this.statements.dropOldest.run(over).changes;
    this.txDropped += over;
  }
}

import { Backoff, type Logger } from '@fleet/shared';

export interface GroupCommitOptions<T, R> {
  /**
   * Writes a group in one transaction and returns what `afterWrite` needs; throws when nothing was written.
   * SQLite's writer answers at once; a writer over the network (PostgreSQL) returns a promise, resolved once
   * COMMIT returned: one group is written at a time, the next ones wait, and nothing resolves before.
   */
  write: (items: readonly T[]) => R | Promise<R>;
  /** After the commit: the in-memory effects (fleet, events). Its failure is logged; the group stays written. */
  afterWrite: (items: readonly T[], result: R) => void;
  /** Items per transaction at most; 1 commits each message on its own, at once. */
  maxGroup: number;
  logger: Logger;
  /** First delay between attempts while the database fails (default 250 ms, doubling to 5 s, jittered). */
  retryInitialMs?: number;
}

/** Why the database cannot be written now, and since when. */
export interface WriteFailure {
  since: Date;
  /** The database's error, e.g. "SQLITE_FULL: database or disk is full". */
  reason: string;
}

/** Items committed together, and the one promise they all wait on (none per item: it is the hot path). */
interface Batch<T> {
  items: T[];
  /** Its write has started: what arrives now goes to the next batch. */
  sealed: boolean;
  promise: Promise<void>;
  done: () => void;
}

/**
 * Commits messages in groups: the ones that arrive together (one read from the socket, up to the broker's
 * in-flight window) share one transaction and one sync to disk. `add()` resolves once its item is committed
 * and its effects applied; the MQTT connection sends the PUBACK only then. While the database fails
 * (full disk, I/O error, read-only), nothing resolves and nothing is dropped: the group is tried again with
 * back-off, and the broker keeps the messages it has not been acknowledged (HeldPubacks bounds what waits
 * here). The failure is logged once when it starts and at info when it ends.
 */
export class GroupCommit<T, R> {
  private batches: Array<Batch<T>> = [];
  private queued = 0;
  private immediate: NodeJS.Immediate | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failure: WriteFailure | null = null;
  private failedAttempts = 0;
  private readonly backoff: Backoff;
  private stopped = false;
  /** The asynchronous write under way (a promise writer only). */
  private inFlight: Promise<void> | null = null;

  constructor(private readonly options: GroupCommitOptions<T, R>) {
    this.backoff = new Backoff({
      initialMs: options.retryInitialMs ?? 250,
      maxMs: 5000,
    });
  }

  /** Items waiting for their commit. */
  get pending(): number {
    return this.queued;
  }

  /** Null while the database takes writes. */
  get failing(): WriteFailure | null {
    return this.failure;
  }

  /** Resolves once the item is committed. */
  add(item: T): Promise<void> {
    let batch = this.batches.at(-1);
    if (!batch || batch.sealed || batch.items.length >= this.options.maxGroup) {
      let done: () => void = () => {};
      const promise = new Promise<void>((resolve) => {
        done = resolve;
      });
      batch = { items: [], sealed: false, promise, done };
      this.batches.push(batch);
    }
    batch.items.push(item);
    this.queued += 1;
    if (this.failure || this.stopped) return batch.promise; // the retry timer (or nothing, once stopped) takes it
    if (batch.items.length >= this.options.maxGroup) this.flush();
    else this.immediate ??= setImmediate(() => this.flush());
    return batch.promise;
  }

  /**
   * Commits what is queued now, a group at a time; true when nothing is left. While the database fails it
   * tries once more only when `force` is set (the retry timer); a read of the API does not hammer it.
   */
  flush(force = false): boolean {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
    if (this.inFlight) return false; // it goes on with the next groups once committed
    if (this.failure && !force) return this.queued === 0;
    for (let batch = this.batches[0]; batch; batch = this.batches[0]) {
      batch.sealed = true;
      let result: R | Promise<R>;
      try {
        result = this.options.write(batch.items);
      } catch (error) {
        batch.sealed = false;
        this.failed(error as Error);
        return false;
      }
      if (result instanceof Promise) {
        this.writing(batch, result);
        return false;
      }
      this.committed(batch, result);
    }
    return true;
  }

  /** Resolves once no asynchronous write is under way (the current group committed, or failed). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** A group's asynchronous write: its items resolve after the commit, then the next group is written. */
  private writing(batch: Batch<T>, result: Promise<R>): void {
    this.inFlight = result.then(
      (written) => {
        this.inFlight = null;
        this.committed(batch, written);
        if (!this.stopped && this.batches.length > 0) this.flush();
      },
      (error: unknown) => {
        this.inFlight = null;
        batch.sealed = false;
        this.failed(error as Error);
      },
    );
  }

  private committed(batch: Batch<T>, result: R): void {
    this.batches.shift();
    this.queued -= batch.items.length;
    this.recovered();
    try {
      this.options.afterWrite(batch.items, result);
    } catch (error) {
      this.options.logger.error({ err: error }, 'Applying committed messages failed');
    }
    batch.done();
  }

  /** Stops the timers. What is still queued is never acknowledged: the broker sends it again. */
  stop(): void {
    this.stopped = true;
    if (this.immediate) clearImmediate(this.immediate);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.immediate = null;
    this.retryTimer = null;
  }

  private failed(error: Error): void {
    const reason = `${(error as { code?: string }).code ?? 'error'}: ${error.message}`;
    const retryMs = this.backoff.next();
    this.failedAttempts += 1;
    if (!this.failure) {
      this.failure = { since: new Date(), reason };
      this.options.logger.error(
        { err: error, pending: this.queued, retry_ms: retryMs },
        `The database cannot be written (${reason}): no message is acknowledged to the MQTT broker, which keeps them, and nothing is dropped; trying again with back-off`,
      );
    } else {
      this.failure.reason = reason;
      this.options.logger.debug({ reason, retry_ms: retryMs }, 'The database still cannot be written');
    }
    if (!this.stopped) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.flush(true);
      }, retryMs);
    }
  }

  private recovered(): void {
    if (!this.failure) return;
    const failedMs = Date.now() - this.failure.since.getTime();
    this.options.logger.info(
      { failed_ms: failedMs, attempts: this.failedAttempts, pending: this.queued },
      'The database can be written again; the messages that waited are being stored and acknowledged',
    );
    this.failure = null;
    this.failedAttempts = 0;
    this.backoff.reset();
  }
}

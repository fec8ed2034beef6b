import { type FileHandle, mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger, Telemetry } from '@fleet/shared';
import { fsyncDir, writeFileAtomic } from '../state/atomic-file.js';
import { parseLog, removalLine } from './outbox-log.js';
import { ReadingQueue } from './reading-queue.js';

export interface FileOutboxOptions {
  /** Directory of the outbox file (DATA_DIR). Created when missing. */
  dir: string;
  /** Readings kept at most (OUTBOX_MAX); when full, the oldest is dropped to make room. */
  max: number;
  logger: Logger;
  /** The file is rewritten once this many of its lines are dead and they outnumber the live ones (default 1000). */
  compactAfter?: number;
  /** Milliseconds, for rate-limiting the "outbox full" warning (default Date.now). */
  now?: () => number;
}

export const OUTBOX_FILE = 'outbox.jsonl';
const DEFAULT_COMPACT_AFTER = 1000;
/** At most one "outbox full" warning per minute; it says how many were dropped since the last one. */
const DROP_WARN_INTERVAL_MS = 60_000;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The readings on their way to the broker, kept on disk so neither a broker outage nor a restart
 * loses one. Readings are delivered oldest first, i.e. in `seq` order.
 *
 * - `enqueue()` resolves once the reading is appended to `<dir>/outbox.jsonl` and fsync'd. Concurrent
 *   enqueues share one write and one fsync.
 * - `peek(n)` gives the oldest readings; after the broker acknowledged them (PUBACK),
 *   `remove(seqs)` takes them out — by `seq`, so a reading dropped meanwhile cannot make it remove
 *   the wrong one. A removal is appended without fsync: after a power cut a reading may be sent twice
 *   (receivers deduplicate by device and seq), never lost.
 * - When full (`max` readings), the OLDEST reading is dropped and counted in `dropped`, with a warning
 *   at most once a minute: the newest readings are worth more to a live dashboard, and the outage is
 *   then longer than `max` × interval.
 * - The file is rewritten atomically (compacted) once acknowledged lines outnumber the live ones.
 * - At `open()`, a torn last line (power cut mid-append) or any unreadable line is skipped with a
 *   warning, and the file is rewritten clean.
 *
 * If a disk write fails, `enqueue()` rejects, but the reading stays queued in memory and is written
 * by the next successful rewrite of the file.
 */
export class FileOutbox {
  readonly path: string;
  private readonly dir: string;
  private readonly max: number;
  private readonly logger: Logger;
  private readonly compactAfter: number;
  private readonly now: () => number;
  private readonly queue = new ReadingQueue();
  private handle: FileHandle | null = null;
  private phase: 'new' | 'open' | 'closed' = 'new';
  /** Lines in the file that no longer hold a queued reading: acknowledged or dropped ones, and removal lines. */
  private deadLines = 0;
  private rewriteNeeded = false;
  private pendingText: string[] = [];
  private pendingWaiters: Waiter[] = [];
  private syncNeeded = false;
  private writing: Promise<void> | null = null;
  private droppedTotal = 0;
  private droppedSinceWarn = 0;
  private lastDropWarnAt = Number.NEGATIVE_INFINITY;

  constructor(options: FileOutboxOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) {
      throw new RangeError(`FileOutbox max must be a whole number ≥ 1, got ${options.max}.`);
    }
    this.dir = options.dir;
    this.path = join(options.dir, OUTBOX_FILE);
    this.max = options.max;
    this.logger = options.logger;
    this.compactAfter = options.compactAfter ?? DEFAULT_COMPACT_AFTER;
    this.now = options.now ?? Date.now;
  }

  /** Readings waiting for the broker. */
  get size(): number {
    return this.queue.size;
  }

  /** Readings dropped because the outbox was full, since `open()`. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Loads the readings already on disk and opens the file for appending. */
  async open(): Promise<void> {
    if (this.phase !== 'new') throw new Error('FileOutbox.open() can only be called once.');
    await mkdir(this.dir, { recursive: true });
    const text = await this.readExisting();
    const created = text === null;
    const log = parseLog(text ?? '');
    for (const record of log.records) {
      if (record.kind === 'reading') {
        if (!this.queue.push(record.seq, record.line)) this.deadLines += 1;
      } else {
        for (const seq of record.seqs) this.queue.remove(seq);
        this.deadLines += 1 + record.seqs.length;
      }
    }
    if (log.badLines.length > 0) {
      this.logger.warn(
        { path: this.path, lines: log.badLines.slice(0, 10), count: log.badLines.length },
        `Skipped ${log.badLines.length} unreadable line(s) of the outbox (a write cut short by a power loss).`,
      );
    }
    let overflow = 0;
    while (this.queue.size > this.max) {
      this.queue.shift();
      overflow += 1;
    }
    if (overflow > 0) {
      this.droppedTotal += overflow;
      this.logger.warn(
        { path: this.path, dropped: overflow, max: this.max },
        `The outbox held more than OUTBOX_MAX (${this.max}) readings; dropped the ${overflow} oldest.`,
      );
    }
    const clean = log.badLines.length === 0 && log.endsCleanly && this.deadLines === 0 && overflow === 0;
    if (!clean) {
      await writeFileAtomic(this.path, this.snapshot());
      this.deadLines = 0;
    }
    this.handle = await open(this.path, 'a');
    if (created) await fsyncDir(this.dir);
    this.phase = 'open';
    this.logger.info({ path: this.path, queued: this.queue.size, max: this.max }, 'Outbox opened.');
  }

  /**
   * Queues a reading; resolves once it is on disk. When the outbox is full, the oldest reading is
   * dropped first. Rejects when a reading with the same `seq` is already queued.
   */
  enqueue(item: Telemetry): Promise<void> {
    if (this.phase !== 'open') return Promise.reject(new Error(`The outbox is ${this.phase}, not open.`));
    if (this.queue.has(item.seq)) {
      return Promise.reject(new Error(`A reading with seq ${item.seq} is already in the outbox.`));
    }
    let dropped: number | undefined;
    if (this.queue.size >= this.max) {
      dropped = this.queue.shift()?.seq;
      if (dropped !== undefined) this.noteDrop(dropped);
    }
    const line = JSON.stringify(item);
    this.queue.push(item.seq, line);
    const text = dropped === undefined ? `${line}\n` : `${removalLine([dropped])}${line}\n`;
    if (dropped !== undefined) this.deadLines += 2;
    return this.append(text, true);
  }

  /** Up to `n` readings, oldest first (lowest seq first). */
  peek(n: number): Telemetry[] {
    return this.queue.peek(n).map((item) => JSON.parse(item.line) as Telemetry);
  }

  /**
   * Takes acknowledged readings out, by `seq`; seqs not queued (e.g. dropped meanwhile) are ignored.
   * The change is visible to `peek()` at once; gives how many were removed once it is written.
   */
  async remove(seqs: readonly number[]): Promise<number> {
    if (this.phase !== 'open') throw new Error(`The outbox is ${this.phase}, not open.`);
    const removed = seqs.filter((seq) => this.queue.remove(seq));
    if (removed.length === 0) return 0;
    this.deadLines += removed.length + 1;
    await this.append(removalLine(removed), false);
    return removed.length;
  }

  /** Waits for pending writes, then closes the file. Queued readings stay on disk for the next start. */
  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    while (this.writing) await this.writing;
    await this.handle?.close();
    this.handle = null;
  }

  private async readExisting(): Promise<string | null> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  private snapshot(): string {
    const lines = this.queue.lines();
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  private noteDrop(seq: number): void {
    this.droppedTotal += 1;
    this.droppedSinceWarn += 1;
    const now = this.now();
    if (now - this.lastDropWarnAt < DROP_WARN_INTERVAL_MS) return;
    this.logger.warn(
      { max: this.max, dropped: this.droppedSinceWarn, droppedTotal: this.droppedTotal, seq },
      `The outbox is full (OUTBOX_MAX=${this.max}); dropping the oldest readings to keep the newest.`,
    );
    this.lastDropWarnAt = now;
    this.droppedSinceWarn = 0;
  }

  private append(text: string, durable: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pendingText.push(text);
      this.pendingWaiters.push({ resolve, reject });
      if (durable) this.syncNeeded = true;
      if (!this.writing) this.writing = this.writeLoop();
    });
  }

  /** Writes what is pending, batch after batch, one at a time; rewrites the file when it is due. */
  private async writeLoop(): Promise<void> {
    try {
      while (this.pendingWaiters.length > 0) {
        const text = this.pendingText.join('');
        const waiters = this.pendingWaiters;
        const sync = this.syncNeeded;
        this.pendingText = [];
        this.pendingWaiters = [];
        this.syncNeeded = false;
        try {
          if (this.rewriteNeeded || this.compactionDue()) await this.rewrite();
          else await this.write(text, sync);
          for (const waiter of waiters) waiter.resolve();
        } catch (error) {
          this.rewriteNeeded = true;
          this.logger.error({ path: this.path, err: error }, 'Cannot write the outbox.');
          for (const waiter of waiters) waiter.reject(error);
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private compactionDue(): boolean {
    return this.deadLines >= this.compactAfter && this.deadLines > this.queue.size;
  }

  private async write(text: string, sync: boolean): Promise<void> {
    if (!this.handle) throw new Error('The outbox file is not open.');
    await this.handle.appendFile(text);
    if (sync) await this.handle.datasync();
  }

  /** Replaces the file by the queue as it is now, which already holds every pending change. */
  private async rewrite(): Promise<void> {
    const content = this.snapshot();
    const dead = this.deadLines;
    this.deadLines = 0;
    try {
      await writeFileAtomic(this.path, content);
    } catch (error) {
      this.deadLines += dead;
      throw error;
    }
    const old = this.handle;
    this.handle = null;
    await old?.close();
    this.handle = await open(this.path, 'a');
    this.rewriteNeeded = false;
    this.logger.debug({ path: this.path, queued: this.queue.size, dead }, 'Outbox compacted.');
  }
}

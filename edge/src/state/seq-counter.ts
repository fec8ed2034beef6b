export interface SeqCounterOptions {
  /** The first number to hand out: the persisted mark (`StartupState.seqNext`). */
  start: number;
  /**
   * Persists `mark` as the state's `seqNext` and resolves once it is on disk, e.g.
   * `(mark) => store.update({ seqNext: mark }).then(() => undefined)`.
   */
  reserve: (mark: number) => Promise<void>;
  /** How many numbers one reservation covers (default 1000): one state write per block. */
  blockSize?: number;
}

export const DEFAULT_SEQ_BLOCK = 1000;

/**
 * Hands out `seq` numbers that never repeat and never go back, even across restarts and power cuts.
 *
 * Numbers are handed out from a reserved block: before the first number of a block is given, the end
 * of the block (the mark) is persisted through `reserve`. After a restart — clean or not — counting
 * starts at the persisted mark, so every number handed out before is below it. Numbers left unused in
 * a block are skipped: gaps are allowed, repeats are not.
 *
 * `next()` is async because crossing into a new block waits for the mark to be on disk; calls are
 * served one at a time, in order. When `reserve` fails, `next()` rejects and hands out nothing; the
 * following call tries again.
 */
export class SeqCounter {
  private value: number;
  private reserved: number;
  private readonly reserve: (mark: number) => Promise<void>;
  private readonly blockSize: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SeqCounterOptions) {
    if (!Number.isInteger(options.start) || options.start < 0) {
      throw new RangeError(`SeqCounter start must be a whole number ≥ 0, got ${options.start}.`);
    }
    this.value = options.start;
    this.reserved = options.start;
    this.reserve = options.reserve;
    this.blockSize = Math.max(1, Math.floor(options.blockSize ?? DEFAULT_SEQ_BLOCK));
  }

  /** The number the next call to `next()` gives (unless a reservation fails). */
  get peek(): number {
    return this.value;
  }

  /** The highest mark reserved so far: every number handed out is below it. */
  get mark(): number {
    return this.reserved;
  }

  next(): Promise<number> {
    const result = this.queue.then(() => this.take());
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async take(): Promise<number> {
    if (this.value >= this.reserved) {
      const mark = this.value + this.blockSize;
      await this.reserve(mark);
      this.reserved = mark;
    }
    const seq = this.value;
    this.value += 1;
    return seq;
  }
}

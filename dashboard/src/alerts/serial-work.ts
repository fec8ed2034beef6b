import type { MaybePromise } from './alert-storage.js';

export type Work = () => MaybePromise<void>;

export interface SerialWorkDeps {
  /** After each piece of work: null when it succeeded, else why it failed. */
  done(error: unknown): void;
  /** The backlog was cut to each key's latest piece (`before` and `after` its length). */
  compacted(before: number, after: number): void;
  /** Pieces waiting at most; past it only each key's latest is kept (default 20 000). */
  max?: number;
}

/**
 * Runs pieces of work one at a time, in the order given. A piece that answers at once (SQLite) is done before
 * run() returns, and so is what follows it; the pieces given while one waits for a promise (PostgreSQL) wait
 * behind it. clear() drops what waits.
 */
export class SerialWork {
  private busy = false;
  private generation = 0;
  private backlog: Array<{ key: string | null; work: Work }> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly deps: SerialWorkDeps) {}

  /** `key` names what the work is about (a device): past the bound, only each key's latest piece is kept. */
  run(key: string | null, work: Work): void {
    if (this.busy) {
      this.backlog.push({ key, work });
      if (this.backlog.length > (this.deps.max ?? 20_000)) this.compact();
      return;
    }
    this.drain(work);
  }

  /** Drops what waits (the piece under way finishes). */
  clear(): void {
    this.generation += 1;
    this.backlog = [];
  }

  /** Resolves once nothing waits or runs. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(generation: number): Work | undefined {
    return generation === this.generation ? this.backlog.shift()?.work : undefined;
  }

  private drain(first: Work): void {
    const generation = this.generation;
    let work: Work | undefined = first;
    while (work) {
      let result: MaybePromise<void>;
      try {
        result = work();
      } catch (error) {
        this.deps.done(error);
        result = undefined;
        work = this.next(generation);
        continue;
      }
      if (result instanceof Promise) {
        this.busy = true;
        result
          .then(
            () => this.deps.done(null),
            (error: unknown) => this.deps.done(error ?? new Error('failed')),
          )
          .finally(() => {
            this.busy = false;
            const after = this.next(generation);
            if (after) this.drain(after);
            else this.wakeIdle();
          });
        return;
      }
      this.deps.done(null);
      work = this.next(generation);
    }
    this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.busy) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private compact(): void {
    const latest = new Map<string, number>();
    this.backlog.forEach((item, index) => {
      if (item.key !== null) latest.set(item.key, index);
    });
    const before = this.backlog.length;
    this.backlog = this.backlog.filter((item, index) => item.key === null || latest.get(item.key) === index);
    this.deps.compacted(before, this.backlog.length);
  }
}

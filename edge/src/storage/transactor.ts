import type Database from 'better-sqlite3';

interface Pending {
  commit: Array<() => void>;
  rollback: Array<() => void>;
}

/**
 * Runs writes to the edge's database as one transaction, and keeps what the process holds in memory in step
 * with what is on disk: a module changes its in-memory copy in an `onCommit` hook (or undoes an early change
 * in an `onRollback` hook), so a write that failed leaves nothing of itself behind, in memory or in a later
 * write. `run` inside `run` joins the outer transaction: everything commits together or not at all.
 */
export class Transactor {
  private pending: Pending | null = null;
  private readonly transaction: (work: () => unknown) => unknown;

  constructor(readonly db: Database.Database) {
    this.transaction = db.transaction((work: () => unknown) => work());
  }

  /** True while a transaction runs. */
  get active(): boolean {
    return this.pending !== null;
  }

  /** Runs `work` in a transaction (or in the one already running); throws, having written nothing, when it fails. */
  run<T>(work: () => T): T {
    if (this.pending) return work();
    const pending: Pending = { commit: [], rollback: [] };
    this.pending = pending;
    let result: T;
    try {
      result = this.transaction(work) as T;
    } catch (error) {
      this.pending = null;
      for (const hook of pending.rollback.reverse()) hook();
      throw error;
    }
    this.pending = null;
    for (const hook of pending.commit) hook();
    return result;
  }

  /** Runs `hook` once the current transaction has committed. */
  onCommit(hook: () => void): void {
    this.current().commit.push(hook);
  }

  /** Runs `hook` if the current transaction fails (hooks run newest first). */
  onRollback(hook: () => void): void {
    this.current().rollback.push(hook);
  }

  private current(): Pending {
    if (!this.pending) throw new Error('Transactor hooks can only be added inside run().');
    return this.pending;
  }
}

import type { OutboxStatements } from './outbox-statements.js';

/**
 * Delivered rows of the outbox whose removal could not be written (the database refused it): hidden from
 * `peek()` until a later write removes them. The publisher removes readings oldest first, so the hidden rows
 * are nearly always a prefix of the queue: kept as "every row up to `through`", which costs nothing to skip,
 * plus the few that are not (by id).
 */
export class HiddenRows {
  private through = 0;
  private prefixCount = 0;
  private readonly others = new Set<number>();

  constructor(private readonly statements: OutboxStatements) {}

  /** How many rows are hidden. */
  get size(): number {
    return this.prefixCount + this.others.size;
  }

  /** Rows with an id up to this one are all hidden. */
  get cursor(): number {
    return this.through;
  }

  /** Hidden rows above the cursor, which a peek must skip one by one. */
  get scattered(): number {
    return this.others.size;
  }

  has(id: number): boolean {
    return id <= this.through || this.others.has(id);
  }

  /** Hides the rows of these readings (read-only queries: they work on a full disk). */
  hide(items: ReadonlyArray<{ epoch?: string | undefined; seq: number }>): void {
    for (const item of items) {
      const id = this.statements.idOf.get(item.epoch ?? null, item.seq)?.id;
      if (id !== undefined && id > this.through) this.others.add(id);
    }
    for (;;) {
      const first = this.statements.firstAfter.get(this.through)?.id;
      if (first === undefined || first === null || !this.others.has(first)) break;
      this.others.delete(first);
      this.through = first;
      this.prefixCount += 1;
    }
  }

  /** Deletes the hidden rows (in the running transaction); gives how many rows went. Call `clear()` on commit. */
  deleteAll(): number {
    let deleted = this.through > 0 ? this.statements.removeThrough.run(this.through).changes : 0;
    for (const id of this.others) deleted += this.statements.removeId.run(id).changes;
    return deleted;
  }

  clear(): void {
    this.through = 0;
    this.prefixCount = 0;
    this.others.clear();
  }
}

import { type Ack, ackSchema, COMMAND_TTL_MAX_S } from '@fleet/shared';
import type Database from 'better-sqlite3';
import type { Transactor } from '../storage/transactor.js';

/** Acks kept at most: far more than the broker can have in flight or queued for redelivery to one device. */
export const COMMAND_MEMORY_LIMIT = 256;
/**
 * Acks older than this are forgotten (7 days: COMMAND_TTL_MAX_S, the longest a command may live, and the
 * production broker's session expiry, after which it no longer redelivers anything).
 */
export const COMMAND_MEMORY_MAX_AGE_MS = COMMAND_TTL_MAX_S * 1000;

export interface CommandMemoryOptions {
  limit?: number;
  maxAgeMs?: number;
}

/**
 * The acks of recent commands by `command_id`, in the database, so that a command delivered again (QoS 1
 * redelivers after a lost PUBACK, a sender may retry) gets the same ack and changes nothing. An ack is written
 * in the same transaction as the command's effect. The last 256 are kept, and none older than 7 days by a
 * synchronised clock (an ack recorded while the clock was not synchronised is only forgotten by count).
 */
export class CommandMemory {
  private readonly limit: number;
  private readonly maxAgeMs: number;
  private readonly select: Database.Statement<[string], { ack: string }>;
  private readonly insert: Database.Statement<[string, string, number | null]>;
  private readonly pruneCount: Database.Statement<[number]>;
  private readonly pruneAge: Database.Statement<[number]>;

  constructor(
    private readonly tx: Transactor,
    options: CommandMemoryOptions = {},
  ) {
    this.limit = options.limit ?? COMMAND_MEMORY_LIMIT;
    this.maxAgeMs = options.maxAgeMs ?? COMMAND_MEMORY_MAX_AGE_MS;
    const { db } = tx;
    this.select = db.prepare('SELECT ack FROM command_acks WHERE command_id = ?');
    this.insert = db.prepare(
      'INSERT INTO command_acks (command_id, ack, received_ms) VALUES (?, ?, ?) ON CONFLICT (command_id) DO UPDATE SET ack = excluded.ack, received_ms = excluded.received_ms',
    );
    this.pruneCount = db.prepare(
      'DELETE FROM command_acks WHERE id NOT IN (SELECT id FROM command_acks ORDER BY id DESC LIMIT ?)',
    );
    this.pruneAge = db.prepare('DELETE FROM command_acks WHERE received_ms IS NOT NULL AND received_ms < ?');
  }

  /** The ack given to `commandId`, if it was seen recently. */
  recall(commandId: string): Ack | null {
    const row = this.select.get(commandId);
    if (!row) return null;
    const parsed = ackSchema.safeParse(JSON.parse(row.ack));
    return parsed.success ? parsed.data : null;
  }

  /**
   * Records the ack of `commandId` (in the running transaction, or one of its own) and forgets the oldest.
   * `receivedAt` is null when the clock is not synchronised: such an entry is never forgotten by age.
   */
  remember(commandId: string, ack: Ack, receivedAt: Date | null): void {
    this.tx.run(() => {
      this.insert.run(commandId, JSON.stringify(ack), receivedAt ? receivedAt.getTime() : null);
      this.pruneCount.run(this.limit);
      if (receivedAt) this.pruneAge.run(receivedAt.getTime() - this.maxAgeMs);
    });
  }

  /** How many acks are remembered. */
  get size(): number {
    return (this.tx.db.prepare('SELECT count(*) AS n FROM command_acks').get() as { n: number }).n;
  }
}

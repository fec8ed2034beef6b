import type pg from 'pg';
import { inTransaction } from '../storage/postgres/pool.js';
import type { FailedLogins, ThrottleEntry } from './login-throttle.js';

interface FailureRow {
  failures: number[];
  locked_until: number;
  lockouts: number;
  last_event: number;
}

/** Least time between two removals of forgotten entries by one dashboard. */
const PRUNE_EVERY_MS = 10 * 60_000;

const toEntry = (row: FailureRow): ThrottleEntry => ({
  failures: row.failures.map(Number),
  lockedUntil: row.locked_until,
  lockouts: row.lockouts,
  lastEvent: row.last_event,
});

/**
 * The login throttle's failed logins in PostgreSQL (DATABASE_URL, layout version 4), one row per user name
 * shared by every replica: a failure is one transaction that makes sure the row exists, locks it (SELECT …
 * FOR UPDATE) and writes the throttle's next entry, so that failures arriving at several replicas at once
 * are all counted, in turn.
 */
export class PgFailedLogins implements FailedLogins {
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(private readonly pool: pg.Pool) {}

  async get(username: string): Promise<ThrottleEntry | null> {
    const { rows } = await this.pool.query<FailureRow>(
      'SELECT failures, locked_until, lockouts, last_event FROM login_failures WHERE username = $1',
      [username],
    );
    return rows[0] ? toEntry(rows[0]) : null;
  }

  update(username: string, next: (entry: ThrottleEntry | null) => ThrottleEntry): Promise<ThrottleEntry> {
    return inTransaction(this.pool, async (client) => {
      const inserted = await client.query(
        `INSERT INTO login_failures (username, failures, locked_until, lockouts, last_event)
         VALUES ($1, '{}', 0, 0, 0) ON CONFLICT (username) DO NOTHING`,
        [username],
      );
      const { rows } = await client.query<FailureRow>(
        'SELECT failures, locked_until, lockouts, last_event FROM login_failures WHERE username = $1 FOR UPDATE',
        [username],
      );
      const before = inserted.rowCount === 1 || !rows[0] ? null : toEntry(rows[0]);
      const entry = next(before);
      await client.query(
        `UPDATE login_failures SET failures = $2::bigint[], locked_until = $3, lockouts = $4, last_event = $5
         WHERE username = $1`,
        [username, entry.failures, entry.lockedUntil, entry.lockouts, entry.lastEvent],
      );
      return entry;
    });
  }

  async delete(username: string): Promise<void> {
    await this.pool.query('DELETE FROM login_failures WHERE username = $1', [username]);
  }

  async prune(now: number, idleMs: number): Promise<void> {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await this.pool.query(
      'DELETE FROM login_failures WHERE locked_until <= $1 AND $1 - GREATEST(last_event, locked_until) > $2',
      [now, idleMs],
    );
  }
}

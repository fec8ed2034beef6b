import { randomBytes } from 'node:crypto';
import type { Clock } from '@fleet/shared';
import type pg from 'pg';
import type { SessionData, SessionStore } from './session-store.js';

type Callback = (error?: unknown) => void;

/**
 * SqliteSessionStore's rules on PostgreSQL's `sessions` (layout version 2), for replicas on several
 * machines: only logged-in sessions are kept, for `lifetimeMs` from the login by the injected clock (saving
 * again does not extend it); expired rows are removed when a new session is stored, and never given back.
 * The pool is the caller's (opened, migrated and closed by it).
 */
export class PgSessionStore implements SessionStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: Clock,
    private readonly lifetimeMs: number,
  ) {}

  private now(): number {
    return this.clock.now().getTime();
  }

  set(sessionId: string, session: SessionData, callback: Callback): void {
    this.save(sessionId, session).then(() => callback(), callback);
  }

  get(sessionId: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    this.read(sessionId).then(
      (session) => callback(null, session),
      (error: unknown) => callback(error),
    );
  }

  destroy(sessionId: string, callback: Callback): void {
    this.remove(sessionId).then(() => callback(), callback);
  }

  async save(sessionId: string, session: SessionData): Promise<void> {
    if (typeof session.username !== 'string') {
      // Only logged-in sessions are kept; anything else is nobody's.
      await this.remove(sessionId);
      return;
    }
    await this.removeExpired();
    await this.pool.query(
      `INSERT INTO sessions (id, username, data, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET username = excluded.username, data = excluded.data`,
      [sessionId, session.username, JSON.stringify(session), this.now() + this.lifetimeMs],
    );
  }

  async remove(sessionId: string): Promise<void> {
    await this.pool.query('DELETE FROM sessions WHERE id = $1', [sessionId]);
  }

  /** The session's data while it exists and has not expired, else null (an expired row is removed). */
  async read(sessionId: string): Promise<SessionData | null> {
    const { rows } = await this.pool.query<{ username: string; data: SessionData; expires_at: number }>(
      'SELECT username, data, expires_at FROM sessions WHERE id = $1',
      [sessionId],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.expires_at <= this.now()) {
      await this.pool.query('DELETE FROM sessions WHERE id = $1 AND expires_at <= $2', [
        sessionId,
        this.now(),
      ]);
      return null;
    }
    return { ...row.data, username: row.username };
  }

  async isLive(sessionId: string): Promise<boolean> {
    return (await this.read(sessionId)) !== null;
  }

  async removeExpired(): Promise<number> {
    const result = await this.pool.query('DELETE FROM sessions WHERE expires_at <= $1', [this.now()]);
    return result.rowCount ?? 0;
  }

  /** Every session of `username` ended (the user removed, or its password changed); answers how many. */
  async removeUser(username: string): Promise<number> {
    const result = await this.pool.query('DELETE FROM sessions WHERE username = $1', [username]);
    return result.rowCount ?? 0;
  }
}

/**
 * keptSecret on PostgreSQL's `secrets`: made once; every replica on the database reads the same one (the
 * first to insert it wins, the others read it back), so a cookie signed on one verifies on another.
 */
export async function pgKeptSecret(
  pool: pg.Pool,
  name: string,
  make: () => string = () => randomBytes(32).toString('base64url'),
): Promise<string> {
  await pool.query('INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    make(),
  ]);
  const { rows } = await pool.query<{ value: string }>('SELECT value FROM secrets WHERE name = $1', [name]);
  const row = rows[0];
  if (!row) throw new Error(`the secret "${name}" could not be read back from PostgreSQL's secrets table`);
  return row.value;
}

import type { Clock } from '@fleet/shared';
import type Database from 'better-sqlite3';

/** What a login session holds (besides the cookie's settings, which @fastify/session keeps in it too). */
export interface SessionData {
  username?: string;
}

type Callback = (error?: unknown) => void;

/**
 * Where login sessions are kept: what @fastify/session calls (`set`, `get`, `destroy`, by callback), the
 * event stream's check that its login still holds (`isLive`, at each heartbeat), and the clean-up at start.
 * Replicas behind a load balancer share logins when, and only when, they share this store: a request may
 * land on any replica, which must find the session another replica made. SqliteSessionStore shares it
 * between processes on one machine's file (the cookie's signing key is in the same database, `secrets`);
 * PgSessionStore (DATABASE_URL) between replicas on several machines. `isLive` and
 * `removeExpired` may answer with a promise, as a store over the network does.
 */
export interface SessionStore {
  set(sessionId: string, session: SessionData, callback: Callback): void;
  get(sessionId: string, callback: (error: unknown, session?: SessionData | null) => void): void;
  destroy(sessionId: string, callback: Callback): void;
  /** True while the session exists and has not expired. */
  isLive(sessionId: string): boolean | Promise<boolean>;
  /** Removes every expired session; answers how many. */
  removeExpired(): number | Promise<number>;
}

/**
 * The store of @fastify/session on the table `sessions`, so logins survive a restart and a user's sessions
 * can be ended from anywhere (UserStore.remove and setPassword delete their rows). A session lasts
 * `lifetimeMs` from its login, by the injected clock: saving it again does not extend it. Expired rows are
 * removed when a new session is stored, and never given back.
 */
export class SqliteSessionStore implements SessionStore {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly clock: Clock,
    private readonly lifetimeMs: number,
  ) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO sessions (id, username, data, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, data = excluded.data`,
      ),
      get: db.prepare('SELECT username, data, expires_at FROM sessions WHERE id = ?'),
      destroy: db.prepare('DELETE FROM sessions WHERE id = ?'),
      expired: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    };
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  set(sessionId: string, session: SessionData, callback: Callback): void {
    try {
      if (typeof session.username !== 'string') {
        // Only logged-in sessions are kept; anything else is nobody's.
        this.statements.destroy.run(sessionId);
      } else {
        this.removeExpired();
        this.statements.insert.run(
          sessionId,
          session.username,
          JSON.stringify(session),
          this.now() + this.lifetimeMs,
        );
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  get(sessionId: string, callback: (error: unknown, session?: SessionData | null) => void): void {
    try {
      callback(null, this.read(sessionId));
    } catch (error) {
      callback(error);
    }
  }

  destroy(sessionId: string, callback: Callback): void {
    try {
      this.statements.destroy.run(sessionId);
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** The session's data while it exists and has not expired, else null (an expired row is removed). */
  read(sessionId: string): SessionData | null {
    const row = this.statements.get.get(sessionId) as
      | { username: string; data: string; expires_at: number }
      | undefined;
    if (!row) return null;
    if (row.expires_at <= this.now()) {
      this.statements.destroy.run(sessionId);
      return null;
    }
    return { ...(JSON.parse(row.data) as SessionData), username: row.username };
  }

  /** True while the session exists and has not expired. */
  isLive(sessionId: string): boolean {
    return this.read(sessionId) !== null;
  }

  /** Removes every expired session; returns how many. */
  removeExpired(): number {
    return this.statements.expired.run(this.now()).changes;
  }
}

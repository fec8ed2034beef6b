import type { Clock } from '@fleet/shared';
import type Database from 'better-sqlite3';
import { hashPassword, verifyPassword } from './passwords.js';
import {
  isRole,
  PASSWORD_ACCEPTED,
  PASSWORD_MAX,
  PASSWORD_MIN,
  ROLE_ACCEPTED,
  type Role,
  USERNAME_ACCEPTED,
  USERNAME_PATTERN,
} from './roles.js';

/** A user as the API shows it: never with its password hash. */
export interface User {
  username: string;
  role: Role;
  /** Set for a generated first password: the page asks for a new one before anything else. */
  mustChangePassword: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserRow {
  username: string;
  role: string;
  password_hash: string;
  must_change_password: number;
  created_at: number;
  updated_at: number;
}

/** A user name, role or password that is not accepted, or a name taken or unknown: one sentence. */
export class UserError extends Error {
  override name = 'UserError';
}

export function checkUsername(username: unknown): string {
  if (typeof username !== 'string' || !USERNAME_PATTERN.test(username)) {
    throw new UserError(
      `User name ${JSON.stringify(username)} is not accepted; accepted: ${USERNAME_ACCEPTED}.`,
    );
  }
  return username;
}

export function checkRole(role: unknown): Role {
  if (!isRole(role))
    throw new UserError(`Role ${JSON.stringify(role)} is not accepted; accepted: ${ROLE_ACCEPTED}.`);
  return role;
}

export function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    const received =
      typeof password === 'string' ? `${password.length} characters` : JSON.stringify(password);
    throw new UserError(`The password received ${received}; accepted: ${PASSWORD_ACCEPTED}.`);
  }
  return password;
}

type MaybeAsync<T> = T | Promise<T>;

/**
 * Who may use the dashboard: UserStore on the SQLite file, PgUserStore on PostgreSQL (DATABASE_URL), for
 * replicas on several machines. Callers await every answer.
 */
export interface Users {
  /** How many users there are. */
  total(): MaybeAsync<number>;
  list(): MaybeAsync<User[]>;
  get(username: string): MaybeAsync<User | null>;
  add(username: string, role: Role, password: string, mustChangePassword?: boolean): Promise<User>;
  /** Removes the user and every session of theirs. */
  remove(username: string): MaybeAsync<void>;
  setPassword(
    username: string,
    password: string,
    options?: { mustChange?: boolean; keepSession?: string | null },
  ): Promise<void>;
  setRole(username: string, role: Role): MaybeAsync<void>;
  /** The user when `password` is theirs, else null. The same work is done for an unknown user. */
  verify(username: string, password: string): Promise<User | null>;
}

/**
 * The dashboard's users, in its SQLite database (table `users`), with scrypt password hashes. The CLI
 * (`npm run fleet -- user …`) and the server use the same store on the same file, so a user added while the
 * dashboard runs can log in at once, and a removed one is out at the next request.
 */
export class UserStore implements Users {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock,
  ) {}

  get count(): number {
    return this.total();
  }

  total(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  list(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map(toUser);
  }

  get(username: string): User | null {
    const row = this.row(username);
    return row ? toUser(row) : null;
  }

  async add(username: string, role: Role, password: string, mustChangePassword = false): Promise<User> {
    checkUsername(username);
    checkRole(role);
    const hash = await hashPassword(checkPassword(password));
    const now = this.clock.now().getTime();
    const inserted = this.db
      .prepare(
        `INSERT OR IGNORE INTO users (username, role, password_hash, must_change_password, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(username, role, hash, mustChangePassword ? 1 : 0, now, now);
    if (inserted.changes === 0) throw new UserError(`User "${username}" exists already.`);
    return this.get(username) as User;
  }

  /** Removes the user and every session of theirs (table `sessions`). */
  remove(username: string): void {
    const removed = this.db.transaction(() => {
      this.db.prepare('DELETE FROM sessions WHERE username = ?').run(username);
      return this.db.prepare('DELETE FROM users WHERE username = ?').run(username).changes;
    })();
    if (removed === 0) throw new UserError(`User ${JSON.stringify(username)} does not exist.`);
  }

  /**
   * Sets a new password; ends the user's other sessions (all of them when `keepSession` is null). A password
   * set by someone else (`mustChange`) must be changed at the next login.
   */
  async setPassword(
    username: string,
    password: string,
    options: { mustChange?: boolean; keepSession?: string | null } = {},
  ): Promise<void> {
    const hash = await hashPassword(checkPassword(password));
    const changed = this.db.transaction(() => {
      const updated = this.db
        .prepare(
          'UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = ? WHERE username = ?',
        )
        .run(hash, options.mustChange ? 1 : 0, this.clock.now().getTime(), username).changes;
      this.db
        .prepare('DELETE FROM sessions WHERE username = ? AND id IS NOT ?')
        .run(username, options.keepSession ?? null);
      return updated;
    })();
    if (changed === 0) throw new UserError(`User ${JSON.stringify(username)} does not exist.`);
  }

  setRole(username: string, role: Role): void {
    checkRole(role);
    const changed = this.db
      .prepare('UPDATE users SET role = ?, updated_at = ? WHERE username = ?')
      .run(role, this.clock.now().getTime(), username).changes;
    if (changed === 0) throw new UserError(`User ${JSON.stringify(username)} does not exist.`);
  }

  /** The user when `password` is theirs, else null. The same work is done for an unknown user. */
  async verify(username: string, password: string): Promise<User | null> {
    const row = this.row(username);
    const ok = await verifyPassword(password, row?.password_hash ?? DECOY_HASH);
    return row && ok ? toUser(row) : null;
  }

  private row(username: string): UserRow | undefined {
    return this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
  }
}

/** Checked for an unknown user name, so that its answer takes as long as a wrong password's. */
export const DECOY_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export function toUser(row: UserRow): User {
  return {
    username: row.username,
    role: checkRole(row.role),
    mustChangePassword: row.must_change_password === 1,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

import type { Clock } from '@fleet/shared';
import type pg from 'pg';
import { inTransaction } from '../storage/postgres/pool.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { Role } from './roles.js';
import {
  checkPassword,
  checkRole,
  checkUsername,
  DECOY_HASH,
  toUser,
  type User,
  UserError,
  type UserRow,
  type Users,
} from './user-store.js';

/**
 * UserStore's rules on PostgreSQL's `users` (layout version 3), for replicas on several machines: a user
 * added on one replica, or by `fleet user` with DATABASE_URL, logs in on every replica at once; removing a
 * user or setting their password ends their sessions (`sessions`) in the same transaction. The pool is the
 * caller's (opened, migrated and closed by it).
 */
export class PgUserStore implements Users {
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: Clock,
  ) {}

  async total(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM users');
    return rows[0]?.n ?? 0;
  }

  async list(): Promise<User[]> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users ORDER BY username');
    return rows.map(toUser);
  }

  async get(username: string): Promise<User | null> {
    const row = await this.row(username);
    return row ? toUser(row) : null;
  }

  async add(username: string, role: Role, password: string, mustChangePassword = false): Promise<User> {
    checkUsername(username);
    checkRole(role);
    const hash = await hashPassword(checkPassword(password));
    const now = this.clock.now().getTime();
    const { rows } = await this.pool.query<UserRow>(
      `INSERT INTO users (username, role, password_hash, must_change_password, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (username) DO NOTHING RETURNING *`,
      [username, role, hash, mustChangePassword ? 1 : 0, now],
    );
    const row = rows[0];
    if (!row) throw new UserError(`User "${username}" exists already.`);
    return toUser(row);
  }

  async remove(username: string): Promise<void> {
    const removed = await inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM sessions WHERE username = $1', [username]);
      return (await client.query('DELETE FROM users WHERE username = $1', [username])).rowCount ?? 0;
    });
    if (removed === 0) throw new UserError(`User ${JSON.stringify(username)} does not exist.`);
  }

  async setPassword(
    username: string,
    password: string,
    options: { mustChange?: boolean; keepSession?: string | null } = {},
  ): Promise<void> {
    const hash = await hashPassword(checkPassword(password));
    const changed = await inTransaction(this.pool, async (client) => {
      const updated = await client.query(
        'UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3 WHERE username = $4',
        [hash, options.mustChange ? 1 : 0, this.clock.now().getTime(), username],
      );
      await client.query('DELETE FROM sessions WHERE username = $1 AND id IS DISTINCT FROM $2', [
        username,
        options.keepSession ?? null,
      ]);
      return updated.rowCount ?? 0;
    });
    if (changed === 0) throw new UserError(`User ${JSON.stringify(username)} does not exist.`);
  }

  async setRole(username: string, role: Role): Promise<void> {
    checkRole(role);
    const changed = await this.pool.query('UPDATE users SET role = $1, updated_at = $2 WHERE username = $3', [
      role,
      this.clock.now().getTime(),
      username,
    ]);
    if ((changed.rowCount ?? 0) === 0)
      throw new UserError(`User ${JSON.stringify(username)} does not exist.`);
  }

  async verify(username: string, password: string): Promise<User | null> {
    const row = await this.row(username);
    const ok = await verifyPassword(password, row?.password_hash ?? DECOY_HASH);
    return row && ok ? toUser(row) : null;
  }

  private async row(username: string): Promise<UserRow | undefined> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
    return rows[0];
  }
}

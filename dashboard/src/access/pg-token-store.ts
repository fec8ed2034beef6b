import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@fleet/shared';
import type pg from 'pg';
import type { Role } from './roles.js';
import {
  type ApiToken,
  LAST_USED_RESOLUTION_MS,
  sha256,
  TOKEN_NAME_ACCEPTED,
  TOKEN_NAME_PATTERN,
  TOKEN_PATTERN,
  type TokenRow,
  type Tokens,
  toToken,
} from './token-store.js';
import { checkRole, UserError } from './user-store.js';

/**
 * TokenStore's rules on PostgreSQL's `api_tokens` (layout version 3): a token made on one replica (or by
 * `fleet token` with DATABASE_URL) works on every replica; a revoked one is refused by all of them at once.
 * Only a SHA-256 of the secret is stored. The pool is the caller's.
 */
export class PgTokenStore implements Tokens {
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: Clock,
  ) {}

  async create(name: string, role: Role, createdBy: string): Promise<{ token: string; info: ApiToken }> {
    if (!TOKEN_NAME_PATTERN.test(name)) {
      throw new UserError(
        `Token name ${JSON.stringify(name)} is not accepted; accepted: ${TOKEN_NAME_ACCEPTED}.`,
      );
    }
    checkRole(role);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const { rows } = await this.pool.query<TokenRow>(
      `INSERT INTO api_tokens (id, name, role, secret_hash, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [id, name, role, sha256(secret).toString('hex'), createdBy, this.clock.now().getTime()],
    );
    return { token: `fleet_${id}_${secret}`, info: toToken(rows[0] as TokenRow) };
  }

  async list(): Promise<ApiToken[]> {
    const { rows } = await this.pool.query<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, id');
    return rows.map(toToken);
  }

  async get(id: string): Promise<ApiToken | null> {
    const row = await this.row(id);
    return row ? toToken(row) : null;
  }

  async revoke(id: string): Promise<void> {
    const changed = await this.pool.query(
      'UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
      [this.clock.now().getTime(), id],
    );
    if ((changed.rowCount ?? 0) === 0) {
      const token = await this.get(id);
      throw new UserError(
        token ? `API token ${id} is revoked already.` : `API token ${JSON.stringify(id)} does not exist.`,
      );
    }
  }

  async verify(bearer: string): Promise<ApiToken | null> {
    const match = TOKEN_PATTERN.exec(bearer);
    if (!match) return null;
    const [, id = '', secret = ''] = match;
    const row = await this.row(id);
    if (!row || row.revoked_at !== null) return null;
    if (!timingSafeEqual(sha256(secret), Buffer.from(row.secret_hash, 'hex'))) return null;
    const now = this.clock.now().getTime();
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
      await this.pool.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [now, id]);
      row.last_used_at = now;
    }
    return toToken(row);
  }

  private async row(id: string): Promise<TokenRow | undefined> {
    const { rows } = await this.pool.query<TokenRow>('SELECT * FROM api_tokens WHERE id = $1', [id]);
    return rows[0];
  }
}

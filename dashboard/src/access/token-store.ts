import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@fleet/shared';
import type Database from 'better-sqlite3';
import type { Role } from './roles.js';
import { checkRole, UserError } from './user-store.js';

/** An API token as the API lists it: never its secret, which is shown once, when it is made. */
export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface TokenRow {
  id: string;
  name: string;
  role: string;
  secret_hash: string;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** `fleet_<id>_<secret>`: the id (12 hex digits) names the token in lists and logs; the secret is 32 random bytes. */
export const TOKEN_PATTERN = /^fleet_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.@-]{0,63}$/;
export const TOKEN_NAME_ACCEPTED =
  '1 to 64 characters: letters, digits, spaces, "_", ".", "@" or "-", starting with a letter or digit';
/** last_used_at is written at most this often per token, not at every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

type MaybeAsync<T> = T | Promise<T>;

/** The API tokens: TokenStore on the SQLite file, PgTokenStore on PostgreSQL (DATABASE_URL). Callers await. */
export interface Tokens {
  /** A new token; `token` is the whole secret, returned this once. */
  create(name: string, role: Role, createdBy: string): MaybeAsync<{ token: string; info: ApiToken }>;
  list(): MaybeAsync<ApiToken[]>;
  get(id: string): MaybeAsync<ApiToken | null>;
  revoke(id: string): MaybeAsync<void>;
  /** The token a bearer string is, when it exists and is not revoked; else null. */
  verify(bearer: string): MaybeAsync<ApiToken | null>;
}

/**
 * API tokens for scripts and integrations (`Authorization: Bearer <token>`), each with a role, in the table
 * `api_tokens`. Only a SHA-256 of the secret is stored: a token is 256 random bits, so a fast hash is enough
 * (a slow one is for passwords people choose). Revoked tokens stay listed, marked revoked.
 */
export class TokenStore implements Tokens {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock,
  ) {}

  /** A new token; `token` is the whole secret, returned this once. */
  create(name: string, role: Role, createdBy: string): { token: string; info: ApiToken } {
    if (!TOKEN_NAME_PATTERN.test(name)) {
      throw new UserError(
        `Token name ${JSON.stringify(name)} is not accepted; accepted: ${TOKEN_NAME_ACCEPTED}.`,
      );
    }
    checkRole(role);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    this.db
      .prepare(
        'INSERT INTO api_tokens (id, name, role, secret_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, name, role, sha256(secret).toString('hex'), createdBy, this.clock.now().getTime());
    return { token: `fleet_${id}_${secret}`, info: this.get(id) as ApiToken };
  }

  list(): ApiToken[] {
    return (this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at, id').all() as TokenRow[]).map(
      toToken,
    );
  }

  get(id: string): ApiToken | null {
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row ? toToken(row) : null;
  }

  revoke(id: string): void {
    const changed = this.db
      .prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
      .run(this.clock.now().getTime(), id).changes;
    if (changed === 0) {
      const token = this.get(id);
      throw new UserError(
        token ? `API token ${id} is revoked already.` : `API token ${JSON.stringify(id)} does not exist.`,
      );
    }
  }

  /** The token a bearer string is, when it exists and is not revoked; else null. */
  verify(bearer: string): ApiToken | null {
    const match = TOKEN_PATTERN.exec(bearer);
    if (!match) return null;
    const [, id = '', secret = ''] = match;
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as TokenRow | undefined;
    if (!row || row.revoked_at !== null) return null;
    if (!timingSafeEqual(sha256(secret), Buffer.from(row.secret_hash, 'hex'))) return null;
    const now = this.clock.now().getTime();
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
      this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, id);
      row.last_used_at = now;
    }
    return toToken(row);
  }
}

export function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: checkRole(row.role),
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

/**
 * A secret the server makes once and keeps in the table `secrets`, such as the key that signs session
 * cookies: it survives restarts, and every replica on the same database reads the same one (the first to
 * insert it wins; the others read it back).
 */
export function keptSecret(
  db: Database.Database,
  name: string,
  make: () => string = () => randomBytes(32).toString('base64url'),
): string {
  db.prepare('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)').run(name, make());
  return (db.prepare('SELECT value FROM secrets WHERE name = ?').get(name) as { value: string }).value;
}

export const SESSION_SECRET = 'session-secret';

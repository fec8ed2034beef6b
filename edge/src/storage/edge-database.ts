import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@fleet/shared';
import Database from 'better-sqlite3';
import { applySchema } from './schema.js';
import { describeStorageError, storageFailure } from './storage-errors.js';

export const EDGE_DB_FILE = 'edge.db';
/** SQLite's companions of a database in WAL mode, moved aside with it. */
const COMPANIONS = ['-wal', '-shm'];

/**
 * How the database was found: `new` (no file: created), `existing` (opened and checked), `replaced` (it did
 * not open or failed its check: moved aside and a new one created), `memory` (the folder cannot hold a
 * database at all, e.g. a full or read-only disk at start: the edge runs on an in-memory one until restarted).
 */
export type DatabaseCondition = 'new' | 'existing' | 'replaced' | 'memory';

export interface OpenedDatabase {
  db: Database.Database;
  path: string;
  condition: DatabaseCondition;
  /** Where a damaged database was moved, when `replaced`. */
  movedTo: string | null;
  /** Why it was replaced, or why it lives in memory. */
  problem: string | null;
}

/**
 * WAL, so a write appends to the log instead of rewriting pages; synchronous=FULL, so each commit is on the
 * disk (fsync of the log) before it returns: a power cut never loses a committed reading or rolls back an
 * applied command.
 */
function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 2000');
}

/** `PRAGMA quick_check`: O(size) structural check; throws with what it found unless the answer is ok. */
function check(db: Database.Database): void {
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
  const answers = rows.map((row) => row.quick_check);
  if (answers.length !== 1 || answers[0] !== 'ok') {
    throw Object.assign(new Error(`quick_check: ${answers.slice(0, 3).join('; ')}`), {
      code: 'SQLITE_CORRUPT',
    });
  }
}

function openFile(path: string): Database.Database {
  const db = new Database(path);
  try {
    configure(db);
    check(db);
    applySchema(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function openMemory(): Database.Database {
  const db = new Database(':memory:');
  applySchema(db);
  return db;
}

/** `edge.db.corrupt-2026-12-01T10-00-00-000Z`: colons are not welcome in every file system. */
function asideName(path: string, now: Date): string {
  return `${path}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * Opens `<dir>/edge.db`, creating it when missing, and never lets a bad file stop the edge: a database that
 * does not open, fails quick_check or comes from a newer firmware is moved aside (with its -wal and -shm) as
 * `edge.db.corrupt-<time>` and a new one is created; when the folder cannot hold a database at all, an
 * in-memory one is used. Each case is logged once with what was done.
 */
export function openEdgeDatabase(dir: string, logger: Logger, now: Date): OpenedDatabase {
  const path = join(dir, EDGE_DB_FILE);
  let existed = false;
  try {
    mkdirSync(dir, { recursive: true });
    existed = existsSync(path);
    return {
      db: openFile(path),
      path,
      condition: existed ? 'existing' : 'new',
      movedTo: null,
      problem: null,
    };
  } catch (error) {
    const failure = storageFailure(error);
    const damaged =
      existed && (failure === 'corrupt' || (error as { code?: unknown }).code === 'EDGE_SCHEMA_NEWER');
    if (!damaged) return inMemory(path, error, logger);
    const problem = describeStorageError(error);
    const movedTo = asideName(path, now);
    try {
      renameSync(path, movedTo);
      for (const suffix of COMPANIONS) {
        if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
      }
      const db = openFile(path);
      logger.error(
        { path, moved_to: movedTo, problem },
        `${path} could not be used (${problem}); moved it aside to ${movedTo} and started a new database: the readings it held are not delivered, and a new epoch begins`,
      );
      return { db, path, condition: 'replaced', movedTo, problem };
    } catch (moveError) {
      return inMemory(path, moveError, logger);
    }
  }
}

function inMemory(path: string, error: unknown, logger: Logger): OpenedDatabase {
  const problem = describeStorageError(error);
  logger.error(
    { path, problem },
    `${path} cannot be opened or created (${problem}); running on an in-memory database: readings are published live while the broker is up, but nothing is kept across a restart until DATA_DIR is writable again`,
  );
  return { db: openMemory(), path, condition: 'memory', movedTo: null, problem };
}

import Database from 'better-sqlite3';

/** What went wrong with the disk or the database, in the terms the edge reacts to. */
export type StorageFailure = 'full' | 'corrupt' | 'io';

/** SQLite's codes for a read or write the disk or the file system refused (a bug, e.g. a constraint, is not one). */
const SQLITE_IO_CODES = [
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_PERM',
  'SQLITE_PROTOCOL',
];

/**
 * Classifies an error thrown by SQLite or the file system: `full` (no space left: SQLITE_FULL, ENOSPC,
 * EDQUOT), `corrupt` (the file is not a database or is damaged), `io` (any other read or write failure:
 * read-only, permission, I/O error). Anything else (a bug) gives null and is not to be absorbed.
 */
export function storageFailure(error: unknown): StorageFailure | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (error instanceof Database.SqliteError && SQLITE_IO_CODES.some((prefix) => code.startsWith(prefix)))
    return 'io';
  if (['EIO', 'EROFS', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EBUSY'].includes(code)) return 'io';
  return null;
}

/** A short reason for a log line or a sentence: "the disk is full (SQLITE_FULL: database or disk is full)". */
export function describeStorageError(error: unknown): string {
  const failure = storageFailure(error);
  const detail = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const raw = typeof code === 'string' && !detail.includes(code) ? `${code}: ${detail}` : detail;
  if (failure === 'full') return `the disk is full (${raw})`;
  if (failure === 'corrupt') return `the database is damaged (${raw})`;
  return raw;
}

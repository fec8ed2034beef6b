import Database from 'better-sqlite3';

export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

export interface BackupOptions {
  /** The dashboard's database (DATA_DIR/dashboard.sqlite); opened read-only, also while the dashboard runs. */
  source: string;
  /** The copy; must not exist yet (the caller decides about overwriting and removes the old file). */
  target: string;
  /** Pages copied per step (4 KiB each); progress is reported between steps. */
  pagesPerStep?: number;
  onProgress?: (progress: BackupProgress) => void;
}

export interface BackupResult {
  pages: number;
  bytes: number;
  /** Wall time of the copy and of the check, in ms. */
  copyMs: number;
  checkMs: number;
  /** `PRAGMA quick_check`'s answer on the copy: 'ok', or its first problems. */
  check: string;
}

const DEFAULT_PAGES_PER_STEP = 2048; // 8 MiB with SQLite's 4 KiB pages

/**
 * A consistent copy of a live SQLite database with SQLite's online backup. The source connection holds one
 * read transaction over every step: in WAL mode the dashboard keeps writing meanwhile (readers do not block
 * the writer), and the copy is the database as of the moment the backup began. Without it, each step would
 * take a new snapshot and SQLite would restart the copy at every write of the dashboard, which on a busy
 * fleet would never finish. Then the copy is checked with `PRAGMA quick_check` (structure, every page read;
 * it skips integrity_check's index-against-table comparison, which takes minutes on a Pi for a large file).
 */
export async function backupDatabase(options: BackupOptions): Promise<BackupResult> {
  const now = Date.now;
  const source = new Database(options.source, { readonly: true, fileMustExist: true });
  const started = now();
  let pages = 0;
  try {
    source.pragma('busy_timeout = 5000');
    source.exec('BEGIN');
    // A read transaction starts at the first read: this one fixes the snapshot the backup copies.
    source.prepare('SELECT count(*) FROM sqlite_schema').get();
    const step = options.pagesPerStep ?? DEFAULT_PAGES_PER_STEP;
    const result = await source.backup(options.target, {
      progress: (progress) => {
        options.onProgress?.(progress);
        return step;
      },
    });
    pages = result.totalPages;
    source.exec('COMMIT');
  } finally {
    source.close();
  }
  const copyMs = now() - started;
  const checked = now();
  const copy = new Database(options.target, { readonly: true, fileMustExist: true });
  try {
    const rows = copy.pragma('quick_check') as Array<{ quick_check: string }>;
    const pageSize = copy.pragma('page_size', { simple: true }) as number;
    return {
      pages,
      bytes: pages * pageSize,
      copyMs,
      checkMs: now() - checked,
      check: rows.map((row) => row.quick_check).join('; '),
    };
  } finally {
    copy.close();
  }
}

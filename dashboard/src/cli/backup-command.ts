import { constants, existsSync } from 'node:fs';
import { access, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { describeArgsError } from '@fleet/shared';
import { DATABASE_FILE } from '../config.js';
import { backupDatabase } from '../storage/backup.js';

export const BACKUP_USAGE = `Usage: npm run fleet -- [--data-dir DIR] backup FILE [--force]
       (in the dashboard's container: fleet backup /data/backup.sqlite)

Copies the dashboard's database (DIR/dashboard.sqlite) to FILE with SQLite's online backup, also while the
dashboard runs: the copy is the database as of the moment the backup began. Then checks the copy
(PRAGMA quick_check) and prints its size, pages and time.

Options:
  --data-dir DIR   the dashboard's data folder (its DATA_DIR: /data in its container)
  --force          replaces FILE when it exists (without it, an existing FILE is refused)
  --help           this text`;

export interface BackupIo {
  stdout: Writable;
  stderr: Writable;
}

type Parsed =
  | { kind: 'help' }
  | { kind: 'error'; error: string }
  | { kind: 'run'; target: string; dataDir: string; force: boolean };

/** Whether these arguments are a `backup` command (its first word, after the options). */
export function isBackupCommand(argv: readonly string[]): boolean {
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (arg === '--data-dir') index += 1;
    else if (!arg.startsWith('-')) return arg === 'backup';
  }
  return false;
}

export function parseBackupArgs(argv: readonly string[], defaultDataDir: string): Parsed {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return { kind: 'error', error: describeArgsError(error as Error, ['data-dir', 'force', 'help']) };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const [, target, ...rest] = positionals;
  if (!target || target.trim() === '') {
    return {
      kind: 'error',
      error: 'Command "backup" received no file; accepted: the path of the copy after it.',
    };
  }
  if (rest.length > 0) {
    return {
      kind: 'error',
      error: `Command "backup" received ${JSON.stringify(rest.join(' '))} after the file, which it does not take.`,
    };
  }
  const dataDir = values['data-dir'] ?? defaultDataDir;
  if (dataDir.trim() === '')
    return { kind: 'error', error: 'Option --data-dir received ""; accepted: a folder path.' };
  return { kind: 'run', target, dataDir, force: values.force === true };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { 'data-dir': { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean' } },
  });
}

/**
 * `fleet backup FILE`: resolves with the exit code; every refusal is one sentence on stderr. With
 * `databaseUrl` (DATABASE_URL set) one more sentence says that PostgreSQL is not in the copy.
 */
export async function runBackup(
  argv: readonly string[],
  io: BackupIo,
  defaultDataDir: string,
  databaseUrl?: string,
): Promise<number> {
  const parsed = parseBackupArgs(argv, defaultDataDir);
  if (parsed.kind === 'help') {
    io.stdout.write(`${BACKUP_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.stderr.write(`${parsed.error}\n`);
    return 1;
  }
  const source = join(parsed.dataDir, DATABASE_FILE);
  const target = resolve(parsed.target);
  if (databaseUrl) {
    io.stderr.write(
      `DATABASE_URL is set: this copies the SQLite file ${source} only; back up the PostgreSQL database (readings, users, tokens, the command trail, forgotten devices) with pg_dump.\n`,
    );
  }
  const refusal = await refusalFor(source, target, parsed.force);
  if (refusal) {
    io.stderr.write(`${refusal}\n`);
    return 1;
  }
  if (parsed.force) await rm(target, { force: true });
  let lastShown = -1;
  try {
    const result = await backupDatabase({
      source,
      target,
      onProgress: ({ totalPages, remainingPages }) => {
        const percent = Math.floor(((totalPages - remainingPages) / totalPages) * 100);
        if (percent - lastShown < 10) return;
        lastShown = percent;
        io.stderr.write(`Copied ${totalPages - remainingPages} of ${totalPages} pages (${percent} %).\n`);
      },
    });
    const summary = `Backed up ${source} to ${target}: ${megabytes(result.bytes)}, ${result.pages} pages, in ${seconds(result.copyMs)}`;
    if (result.check !== 'ok') {
      io.stderr.write(`${summary}; but PRAGMA quick_check on the copy answered: ${result.check}.\n`);
      return 1;
    }
    io.stdout.write(`${summary}; PRAGMA quick_check on the copy: ok (${seconds(result.checkMs)}).\n`);
    return 0;
  } catch (error) {
    await rm(target, { force: true });
    io.stderr.write(
      `The backup of ${source} to ${target} failed: ${(error as Error).message.replace(/\.?$/, '.')}\n`,
    );
    return 1;
  }
}

/** Why the backup cannot start, in one sentence; null when it can. Nothing is changed. */
async function refusalFor(source: string, target: string, force: boolean): Promise<string | null> {
  if (!existsSync(source)) {
    return `There is no dashboard database at ${source}; run this where the dashboard keeps its data (--data-dir: its DATA_DIR), after it has started once.`;
  }
  if (resolve(source) === target) {
    return `The backup file ${target} is the database itself; accepted: another path.`;
  }
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) {
    return `The backup file ${target} is a folder; accepted: the path of a file (e.g. ${join(target, 'dashboard-backup.sqlite')}).`;
  }
  if (existing && !force) {
    return `The backup file ${target} exists already; accepted: a new path, or --force to replace it.`;
  }
  const folder = dirname(target);
  const writable = await access(folder, constants.W_OK).then(
    () => true,
    () => false,
  );
  if (!writable) {
    const why = existsSync(folder) ? 'cannot be written by this user' : 'does not exist';
    return `The backup file's folder ${folder} ${why}; accepted: a file in a folder this user can write.`;
  }
  return null;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

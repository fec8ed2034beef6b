import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBackupArgs } from '../../src/cli/backup-command.js';
import { backupDatabase } from '../../src/storage/backup.js';
import { eachLine } from '../integration/processes.js';
import { openStore, tempDir } from '../server/fixtures.js';

const FLEET_MAIN = fileURLToPath(new URL('../../../cloud/dist/fleet/main.js', import.meta.url));
const WRITER = fileURLToPath(new URL('./support/reading-writer-process.mjs', import.meta.url));

/** `npm run fleet -- …` as a process: exit code, stdout and stderr. */
function fleet(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [FLEET_MAIN, ...argv], { env: { PATH: process.env.PATH, ...env } });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout.on('data', (chunk) => out.push(String(chunk)));
  child.stderr.on('data', (chunk) => err.push(String(chunk)));
  return new Promise((resolve) =>
    child.once('close', (code) => resolve({ code, stdout: out.join(''), stderr: err.join('') })),
  );
}

/** The readings of one device in a database file, and its delivery figures. */
function contents(path: string, deviceId: string) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      check: db.pragma('quick_check', { simple: true }),
      readings: db
        .prepare(
          'SELECT count(*) AS count, min(seq) AS min, max(seq) AS max FROM telemetry WHERE device_id = ?',
        )
        .get(deviceId) as { count: number; min: number; max: number },
      delivery: db
        .prepare('SELECT min_seq, max_seq, received FROM delivery WHERE device_id = ?')
        .get(deviceId),
    };
  } finally {
    db.close();
  }
}

describe('fleet backup arguments', () => {
  it.each([
    [['backup'], 'Command "backup" received no file; accepted: the path of the copy after it.'],
    [
      ['backup', 'a.sqlite', 'b.sqlite'],
      'Command "backup" received "b.sqlite" after the file, which it does not take.',
    ],
    [
      ['backup', 'a.sqlite', '--overwrite'],
      'Option --overwrite is not accepted; accepted options: --data-dir, --force, --help.',
    ],
  ])('%j → one sentence', (argv, error) => {
    expect(parseBackupArgs(argv, '/data')).toEqual({ kind: 'error', error });
  });
});

describe('npm run fleet -- backup FILE', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let launcherData: string;
  let database: string;

  beforeEach(async () => {
    dir = await tempDir();
    launcherData = join(dir.path, 'launcher');
    const store = openStore(join(launcherData, 'dashboard'));
    database = store.path;
    store.transaction(() => {
      for (let seq = 0; seq < 500; seq += 1) {
        const at = new Date(Date.parse('2026-01-01T00:00:00Z') + seq * 1000).toISOString();
        store.writeReading({
          device_id: 'pi-1',
          timestamp: at,
          temperature: 21,
          humidite: 40,
          pression: 1013,
          batterie: 90,
          mode: 'auto',
          firmware: 'v1.0.0',
          alerte: false,
          uptime: seq,
          seq,
          source: 'synthetic',
          received_at: at,
          trusted_at: at,
        });
      }
    });
    store.close();
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('copies the database, checks the copy, and prints one line with its size, pages and time', async () => {
    const target = join(dir.path, 'copy.sqlite');
    const result = await fleet(['--data-dir', launcherData, 'backup', target]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^Backed up ${database} to ${target}: \\d+\\.\\d MiB, \\d+ pages, in \\d+\\.\\d\\d s; PRAGMA quick_check on the copy: ok \\(\\d+\\.\\d\\d s\\)\\.\\n$`,
      ),
    );
    expect(contents(target, 'pi-1')).toEqual({
      check: 'ok',
      readings: { count: 500, min: 0, max: 499 },
      delivery: { min_seq: 0, max_seq: 499, received: 500 },
    });
  });

  it('with DATABASE_URL set, says in one sentence that it copies the SQLite file only and PostgreSQL goes with pg_dump', async () => {
    const target = join(dir.path, 'copy.sqlite');
    const result = await fleet(['--data-dir', launcherData, 'backup', target], {
      DATABASE_URL: 'postgres://fleet:s3cret@db.example:5432/fleet',
    });
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n')[0]).toBe(
      `DATABASE_URL is set: this copies the SQLite file ${database} only; back up the PostgreSQL database (readings, users, tokens, the command trail, forgotten devices) with pg_dump.`,
    );
    expect(result.stderr).not.toContain('s3cret');
    expect(contents(target, 'pi-1').readings.count).toBe(500);
    expect(
      (await fleet(['--data-dir', launcherData, 'backup', join(dir.path, 'two.sqlite')])).stderr,
    ).not.toContain('DATABASE_URL');
  });

  it('refuses an existing file without --force, and changes nothing; replaces it with --force', async () => {
    const target = join(dir.path, 'copy.sqlite');
    writeFileSync(target, 'an older backup');
    const refused = await fleet(['--data-dir', launcherData, 'backup', target]);
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: `The backup file ${target} exists already; accepted: a new path, or --force to replace it.\n`,
    });
    expect(readFileSync(target, 'utf8')).toBe('an older backup');
    const forced = await fleet(['--data-dir', launcherData, 'backup', target, '--force']);
    expect(forced.code).toBe(0);
    expect(contents(target, 'pi-1').readings.count).toBe(500);
  });

  it('refuses a missing database and a folder that does not exist, each in one sentence', async () => {
    const empty = join(dir.path, 'empty');
    expect(await fleet(['--data-dir', empty, 'backup', join(dir.path, 'x.sqlite')])).toEqual({
      code: 1,
      stdout: '',
      stderr: `There is no dashboard database at ${join(empty, 'dashboard', 'dashboard.sqlite')}; run this where the dashboard keeps its data (--data-dir: its DATA_DIR), after it has started once.\n`,
    });
    const nowhere = join(dir.path, 'no-such-folder');
    expect(await fleet(['--data-dir', launcherData, 'backup', join(nowhere, 'x.sqlite')])).toEqual({
      code: 1,
      stdout: '',
      stderr: `The backup file's folder ${nowhere} does not exist; accepted: a file in a folder this user can write.\n`,
    });
    expect(await fleet(['--data-dir', launcherData, 'backup', database, '--force'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `The backup file ${database} is the database itself; accepted: another path.\n`,
    });
    expect(contents(database, 'pi-1').readings.count).toBe(500);
  });
});

describe('a backup while another process keeps writing', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let writer: ChildProcess | null = null;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    if (writer && writer.exitCode === null) writer.kill('SIGKILL');
    await dir.remove();
  });

  it('is the database as of one moment: a prefix of the readings with its delivery figures, which restores', async () => {
    const source = join(dir.path, 'data', 'dashboard.sqlite');
    mkdirSync(join(dir.path, 'data'));
    const child = spawn(process.execPath, [WRITER, source, 'pi-w'], { stdio: ['ignore', 'pipe', 'inherit'] });
    writer = child;
    const committed: number[] = [];
    let stopped = -1;
    eachLine(child.stdout, (line) => {
      const [word, n] = line.split(' ');
      if (word === 'committed') committed.push(Number(n));
      if (word === 'stopped') stopped = Number(n);
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Enough data that the copy takes hundreds of small steps while the writer goes on.
    while ((committed.at(-1) ?? 0) < 60_000) await new Promise((resolve) => setTimeout(resolve, 20));

    const before = committed.at(-1) ?? 0;
    const groupsBefore = committed.length;
    const target = join(dir.path, 'backup.sqlite');
    let steps = 0;
    let restarts = 0; // SQLite starts the copy again when the snapshot it copies has changed
    let remaining = Number.POSITIVE_INFINITY;
    const result = await backupDatabase({
      source,
      target,
      pagesPerStep: 8,
      onProgress: (progress) => {
        steps += 1;
        if (progress.remainingPages > remaining) restarts += 1;
        remaining = progress.remainingPages;
      },
    });
    const groupsDuring = committed.length - groupsBefore;
    child.kill('SIGTERM');
    await exited;

    expect(steps).toBeGreaterThan(100);
    expect(restarts).toBe(0); // one snapshot throughout: a busy dashboard cannot keep the backup from finishing
    expect(groupsDuring).toBeGreaterThan(0); // the writer did commit while the copy ran
    expect(result.check).toBe('ok');
    const copy = contents(target, 'pi-w');
    expect(copy.check).toBe('ok');
    expect(copy.readings.count).toBeGreaterThanOrEqual(before);
    expect(copy.readings.count).toBeLessThan(stopped);
    // A prefix: seq 0..n-1 with no gap, and the figures committed with those readings.
    expect(copy.readings).toEqual({ count: copy.readings.count, min: 0, max: copy.readings.count - 1 });
    expect(copy.delivery).toEqual({
      min_seq: 0,
      max_seq: copy.readings.count - 1,
      received: copy.readings.count,
    });

    // Restore: the copy becomes a data folder's dashboard.sqlite (no -wal/-shm beside it) and opens as the
    // dashboard opens it.
    const restored = join(dir.path, 'restored');
    mkdirSync(restored);
    copyFileSync(target, join(restored, 'dashboard.sqlite'));
    const store = openStore(restored);
    try {
      expect(store.delivery('pi-w')).toEqual({ received: copy.readings.count, lost: 0, conflicts: 0 });
    } finally {
      store.close();
    }
  }, 60_000);
});

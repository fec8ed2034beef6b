// `fleet backup`'s speed: node dashboard/bench/backup.mjs [READINGS] (default 1 000 000; build first: npx tsc -b).
// Fills a dashboard database in a temporary folder with READINGS readings (the dashboard's own store), then
// backs it up twice: idle, and while a second process keeps writing readings into it (as a busy dashboard
// does). Prints size, pages, the copy's and the check's time, and how many readings the writer committed
// during the copy, and integrity_check's time beside quick_check's. Numbers taken while other work runs on the machine are indicative only.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { backupDatabase } from '../dist/storage/backup.js';

const WRITER = fileURLToPath(new URL('../test/cli/support/reading-writer-process.mjs', import.meta.url));
const readings = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'backup-bench-'));
const source = join(dir, 'dashboard.sqlite');

/** Starts the writer; resolves with it once it has stored at least `atLeast` readings. */
function startWriter(atLeast) {
  const child = spawn(process.execPath, [WRITER, source, 'pi-bench'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const state = { child, committed: 0, stopped: new Promise((resolve) => child.once('exit', resolve)) };
  let rest = '';
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const [word, n] = line.split(' ');
        if (word === 'committed') state.committed = Number(n);
      }
      if (state.committed >= atLeast) resolve(state);
    });
  });
}

async function run(label, writer) {
  const target = join(dir, `${label}.sqlite`);
  const before = writer?.committed ?? 0;
  const result = await backupDatabase({ source, target });
  const during = writer ? writer.committed - before : 0;
  console.log(
    `${label}: ${(result.bytes / 1024 / 1024).toFixed(1)} MiB, ${result.pages} pages; copy ${result.copyMs} ms ` +
      `(${((result.bytes / 1024 / 1024 / result.copyMs) * 1000).toFixed(0)} MiB/s), quick_check ${result.checkMs} ms ` +
      `(${result.check}); readings committed by the writer during the copy: ${during}`,
  );
  // The check not chosen, for comparison: integrity_check also compares every index with its table.
  const copy = new Database(target, { readonly: true });
  const started = Date.now();
  const full = copy.pragma('integrity_check', { simple: true });
  console.log(`${label}: integrity_check (not used) ${Date.now() - started} ms (${full})`);
  copy.close();
  rmSync(target);
}

try {
  const filler = await startWriter(readings);
  filler.child.kill('SIGTERM');
  await filler.stopped;
  console.log(`${filler.committed} readings in ${source}`);
  await run('idle', null);
  const writer = await startWriter(filler.committed + 1);
  await run('while-writing', writer);
  writer.child.kill('SIGTERM');
  await writer.stopped;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

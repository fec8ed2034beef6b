#!/usr/bin/env node
/**
 * The edge's outbox on this machine's disk, as the edge uses it. Prints numbers; it is not a test.
 *
 *   npm run build && node --expose-gc edge/bench/outbox-bench.mjs [--dir DIR] [--queued 100000] [--n 1000]
 *
 * DIR (default: the system's temporary folder) should be on the disk the edge would use: fsync is the cost
 * being measured, and a tmpfs makes it free. Each figure runs on a fresh outbox in a new folder under DIR:
 * - durable enqueue: readings queued one at a time, each on disk (fsync) before the next;
 * - enqueue + remove: the steady state with the broker up: each reading queued, then removed once delivered;
 * - drain: a backlog delivered in windows of 8 (the publisher's), removed window by window;
 * - start-up with a backlog queued: opening the store as the edge starts (with quick_check);
 * - memory with the backlog opened (heap and RSS growth, in a child process of its own);
 * - disk bytes per queued reading.
 * The FileOutbox of the previous release is measured too when edge/dist still has it (see bench/README.md for
 * its numbers, recorded before it was removed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const dist = (path) => new URL(`../dist/${path}`, import.meta.url);
const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: tmpdir() },
    queued: { type: 'string', default: '100000' },
    n: { type: 'string', default: '1000' },
    child: { type: 'string' },
    path: { type: 'string' },
  },
});
const QUEUED = Number(args.queued);
const N = Number(args.n);

const { createLogger } = await import('@fleet/shared');
const { EdgeStore } = await import(dist('storage/edge-store.js'));
const logger = createLogger('outbox-bench', 'silent');
const FileOutbox = existsSync(dist('outbox/file-outbox.js'))
  ? (await import(dist('outbox/file-outbox.js'))).FileOutbox
  : null;

const config = (dataDir) => ({
  dataDir,
  outboxMax: 1_000_000,
  firmwareVersion: 'v1.0.0',
  mode: 'auto',
  publishInterval: 5,
  alertThreshold: 30,
  tempOffset: 0,
  humidityOffset: 0,
  pressureOffset: 0,
  altitude: 0,
});
const clock = { now: () => new Date(), monotonicMs: () => performance.now(), synced: () => true };

function reading({ epoch, seq }) {
  return {
    v: 2,
    device_id: 'bench-device-001',
    timestamp: new Date().toISOString(),
    temperature: 21.37,
    humidite: 48.2,
    pression: 1012.81,
    batterie: 87.5,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: false,
    uptime: seq * 5,
    seq,
    source: 'synthetic',
    ...(epoch ? { epoch } : {}),
    clock_synced: true,
  };
}

const freshDir = () => mkdtempSync(join(args.dir, 'outbox-bench-'));
const bytesIn = (dir) => readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
const perSecond = (count, ms) =>
  `${Math.round((count / ms) * 1000)} readings/s (${count} in ${ms.toFixed(0)} ms)`;
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The two outboxes behind one small interface: add (durable), remove, peek, fill (fast), reopen, close. */
const kinds = {
  sqlite: {
    label: 'SQLite outbox (edge.db, WAL, synchronous=FULL)',
    async open(dir) {
      const store = await EdgeStore.open({ config: config(dir), clock, logger });
      return {
        add: async () => store.takeReading(reading),
        remove: async (items) => store.outbox.remove(items),
        peek: (n) => store.outbox.peek(n),
        size: () => store.outbox.size,
        fill: async (count) => {
          // One transaction for the whole backlog: only the set-up, not measured.
          store.tx.run(() => {
            for (let i = 0; i < count; i++) store.takeReading(reading);
          });
        },
        close: async () => store.close(),
      };
    },
  },
  file: FileOutbox && {
    label: 'FileOutbox (outbox.jsonl, previous release)',
    async open(dir) {
      const outbox = new FileOutbox({ dir, max: 1_000_000, logger });
      await outbox.open();
      let seq = outbox.size;
      return {
        add: async () => {
          const item = reading({ seq: seq++ });
          await outbox.enqueue(item);
          return item;
        },
        remove: async (items) => outbox.remove(items.map((item) => item.seq)),
        peek: (n) => outbox.peek(n),
        size: () => outbox.size,
        fill: async (count) => {
          for (let start = 0; start < count; start += 1000) {
            const batch = Array.from({ length: Math.min(1000, count - start) }, () =>
              reading({ seq: seq++ }),
            );
            await Promise.all(batch.map((item) => outbox.enqueue(item)));
          }
        },
        close: () => outbox.close(),
      };
    },
  },
};

async function timed(work) {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function withOutbox(kind, work) {
  const dir = freshDir();
  try {
    const outbox = await kind.open(dir);
    try {
      return await work(outbox, dir);
    } finally {
      await outbox.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** In a child process: opens a backlog made by the parent and reports the memory it takes. */
async function childMemory(kindName, dir) {
  // Loads the code (and SQLite's native addon) on an empty outbox first: only the backlog is counted.
  await withOutbox(kinds[kindName], async () => {});
  globalThis.gc?.();
  const before = process.memoryUsage();
  const outbox = await kinds[kindName].open(dir);
  globalThis.gc?.();
  const after = process.memoryUsage();
  const size = outbox.size();
  await outbox.close();
  process.stdout.write(
    JSON.stringify({ size, heap: after.heapUsed - before.heapUsed, rss: after.rss - before.rss }),
  );
}

async function measure(name, kind) {
  console.log(`\n${kind.label}`);
  const durable = await withOutbox(kind, (outbox) =>
    timed(async () => {
      for (let i = 0; i < N; i++) await outbox.add();
    }),
  );
  console.log(`  durable enqueue, one at a time:   ${perSecond(N, durable)}`);

  const steady = await withOutbox(kind, (outbox) =>
    timed(async () => {
      for (let i = 0; i < N; i++) await outbox.remove([await outbox.add()]);
    }),
  );
  console.log(`  enqueue + remove (broker up):     ${perSecond(N, steady)}`);

  const backlog = N * 10;
  const drain = await withOutbox(kind, async (outbox) => {
    await outbox.fill(backlog);
    return timed(async () => {
      while (outbox.size() > 0) await outbox.remove(outbox.peek(8));
    });
  });
  console.log(`  drain ${backlog} (windows of 8):      ${perSecond(backlog, drain)}`);

  const dir = freshDir();
  try {
    const filler = await kind.open(dir);
    await filler.fill(QUEUED);
    await filler.close();
    const bytes = bytesIn(dir);
    const startMs = await timed(async () => {
      const again = await kind.open(dir);
      await again.close();
    });
    console.log(`  start-up with ${QUEUED} queued:     ${startMs.toFixed(0)} ms`);
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', new URL(import.meta.url).pathname, '--child', name, '--path', dir],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
    const memory = JSON.parse(child.stdout);
    console.log(
      `  memory with ${memory.size} queued:     heap +${mib(memory.heap)}, RSS +${mib(memory.rss)}`,
    );
    console.log(`  disk: ${mib(bytes)} for ${QUEUED}, ${Math.round(bytes / QUEUED)} bytes per reading`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.child) {
  await childMemory(args.child, args.path);
} else {
  console.log(`Outbox bench in ${args.dir} (N=${N}, backlog ${QUEUED}), Node ${process.version}`);
  await measure('sqlite', kinds.sqlite);
  if (kinds.file) await measure('file', kinds.file);
  else console.log('\nFileOutbox: removed in issue 9; its numbers are in edge/bench/README.md.');
}

/**
 * History at the storage level (no HTTP): the chart queries of one device on a week of 1 Hz readings of 100
 * devices (60 480 000 rows), the rollups' catch-up on that database, and what rolling up costs the ingest.
 * Prints numbers; nothing is asserted. Build first (`npx tsc -b`), then:
 *
 *   node dashboard/bench/history-queries.mjs [--devices 100] [--days 7] [--queries 30] [--dir .bench-data]
 *
 * The database is made once in <dir>/history-sql-<devices>x<days>d with one INSERT … SELECT per hour of the
 * fleet's readings (the fast way; `npm run bench` makes its own through TelemetryStore.writeReading) and
 * reused by later runs; its rollups are caught up by the first run, which times that. Numbers taken while
 * other work runs on the machine are indicative only: the load average is printed beside them.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { HistoryWorker, ROLLUP_BATCH, TelemetryStore } from '@fleet/dashboard';
import { pino } from 'pino';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '100' },
    days: { type: 'string', default: '7' },
    queries: { type: 'string', default: '30' },
    dir: { type: 'string', default: '.bench-data' },
    'ingest-rows': { type: 'string', default: '300000' },
    // Also time, 3 times, the previous release's 7 d query (count, then a window function over every row).
    'compare-old': { type: 'boolean', default: false },
    'skip-ingest': { type: 'boolean', default: false },
  },
});
const DEVICES = Number(values.devices);
const DAYS = Number(values.days);
const QUERIES = Number(values.queries);
const INGEST_ROWS = Number(values['ingest-rows']);
const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const ms = (x) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const device = (k) => `bench-${String(k).padStart(3, '0')}`;

function stats(list) {
  const sorted = [...list].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95), max: sorted.at(-1) };
}

/** Readings of second i of device k: a slow wave, and one spike per device and day. */
const INSERT_HOUR = `
WITH RECURSIVE s(i) AS (SELECT @first UNION ALL SELECT i + 1 FROM s WHERE i < @last),
  d(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM d WHERE k < @devices - 1)
INSERT INTO telemetry (device_id, epoch, seq, trusted_at, received_at, timestamp, v, clock_synced, temperature,
  humidite, pression, batterie, mode, firmware, alerte, uptime, source)
SELECT printf('bench-%03d', k), 'history', i, @start + i * 1000, @start + i * 1000,
  strftime('%Y-%m-%dT%H:%M:%fZ', (@start + i * 1000) / 1000.0, 'unixepoch'), 2, 1,
  CASE WHEN (i + k * 977) % 86400 = 43210 THEN 80.0 ELSE 20 + ((i / 60 + k * 13) % 100) / 10.0 END,
  45 + (i % 300) / 30.0, 1013 + (i % 50) / 10.0, 100 - (i % 86400) / 1728.0, 'auto', 'v1.0.0', 0, i, 'synthetic'
FROM s CROSS JOIN d`;

function makeDatabase(folder) {
  const done = join(folder, 'done.json');
  if (existsSync(done)) return false;
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const store = new TelemetryStore({ path: join(folder, 'dashboard.sqlite'), logger });
  store.open();
  const db = store.database;
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  const insert = db.prepare(INSERT_HOUR);
  const seconds = DAYS * 86_400;
  const start = Math.floor(Date.now() / 1000) * 1000 - seconds * 1000;
  const began = performance.now();
  for (let first = 0; first < seconds; first += 3600) {
    db.transaction(() =>
      insert.run({ first, last: Math.min(seconds, first + 3600) - 1, devices: DEVICES, start }),
    )();
    if ((first / 3600) % 24 === 23) {
      process.stdout.write(
        `  made ${(first + 3600) / 86400} of ${DAYS} days (${Math.round((performance.now() - began) / 1000)} s)\n`,
      );
    }
  }
  store.close();
  writeFileSync(done, JSON.stringify({ rows: seconds * DEVICES, start, ms: performance.now() - began }));
  console.log(`made ${seconds * DEVICES} readings in ${((performance.now() - began) / 1000).toFixed(0)} s`);
  return true;
}

function catchUp(store) {
  const steps = [];
  let merged = 0;
  const began = performance.now();
  for (;;) {
    const t = performance.now();
    const step = store.rollUp(ROLLUP_BATCH);
    steps.push(performance.now() - t);
    merged += step.merged;
    if (step.pending === 0 && step.recomputed === 0) break;
    if (steps.length % 2000 === 0) process.stdout.write(`  rolled up ${merged} (${step.pending} to go)\n`);
  }
  return { merged, seconds: (performance.now() - began) / 1000, steps: stats(steps) };
}

function timeQueries(store, newest) {
  const cases = [
    { label: '1 h  (page, limit 1000)', from: newest - HOUR, limit: 1000 },
    { label: '1 h  (raw, limit 4000)', from: newest - HOUR, limit: 4000 },
    { label: '24 h (page, limit 1500)', from: newest - DAY, limit: 1500 },
    { label: '7 d  (page, limit 1050)', from: newest - 7 * DAY, limit: 1050 },
    { label: '24 h (limit 2880)', from: newest - DAY, limit: 2880 },
    { label: '7 d  (limit 2016)', from: newest - 7 * DAY, limit: 2016 },
    { label: 'no from (limit 1000)', limit: 1000 },
  ];
  console.log(`\nqueries of ${device(0)}, ${QUERIES} each after 2 warm-ups (load average ${load()}):`);
  for (const form of ['buckets', 'readings']) {
    for (const c of cases) {
      const query = {
        deviceId: device(0),
        to: newest,
        limit: c.limit,
        form,
        ...(c.from ? { from: c.from } : {}),
      };
      let answer;
      const times = [];
      for (let i = 0; i < QUERIES + 2; i++) {
        const t = performance.now();
        answer = store.history(query);
        if (i >= 2) times.push(performance.now() - t);
      }
      const s = stats(times);
      const points =
        answer.bucketMs === null
          ? answer.readings.length
          : form === 'buckets'
            ? answer.buckets.length
            : answer.readings.length;
      const width = answer.bucketMs === null ? 'raw' : `${answer.bucketMs / 1000} s buckets`;
      console.log(
        `  ${form.padEnd(8)} ${c.label.padEnd(24)} p50 ${ms(s.p50).padStart(9)}  p95 ${ms(s.p95).padStart(9)}  max ${ms(s.max).padStart(9)}  ${points} points, ${width}`,
      );
    }
  }
}

/**
 * The page's three queries through the HistoryWorker as the route asks them (the response's JSON made on the
 * thread): the time to the answer, and the longest the main thread was held meanwhile (event-loop delay).
 */
async function timeWorker(store, newest) {
  const worker = new HistoryWorker({ store, logger });
  worker.start();
  console.log(
    `\nthe same through the history thread (threaded: ${worker.threaded}; load average ${load()}):`,
  );
  for (const [label, from, limit] of [
    ['1 h  (page, limit 1000)', newest - HOUR, 1000],
    ['1 h  (raw, limit 4000)', newest - HOUR, 4000],
    ['24 h (page, limit 1500)', newest - DAY, 1500],
    ['7 d  (page, limit 1050)', newest - 7 * DAY, 1050],
  ]) {
    const query = { deviceId: device(0), from, to: newest, limit, form: 'buckets' };
    const times = [];
    const delay = monitorEventLoopDelay({ resolution: 1 });
    for (let i = 0; i < QUERIES + 2; i++) {
      if (i === 2) delay.enable();
      const t = performance.now();
      await worker.historyJson(query);
      if (i >= 2) times.push(performance.now() - t);
    }
    delay.disable();
    const s = stats(times);
    console.log(
      `  ${label.padEnd(24)} p50 ${ms(s.p50).padStart(9)}  p95 ${ms(s.p95).padStart(9)}  main thread held at most ${ms(delay.max / 1e6)} (event-loop delay p99 ${ms(delay.percentile(99) / 1e6)})`,
    );
  }
  await worker.stop();
}

/** The previous release's range query (TelemetryStore.range before the rollups), for comparison. */
function compareOld(store, newest) {
  const db = store.database;
  const count = db.prepare(
    'SELECT COUNT(*) AS n FROM telemetry WHERE device_id = ? AND trusted_at BETWEEN ? AND ?',
  );
  const thinned = db.prepare(`SELECT * FROM (
      SELECT *, ROW_NUMBER() OVER (ORDER BY trusted_at DESC, received_at DESC, seq DESC) - 1 AS k
      FROM telemetry WHERE device_id = ? AND trusted_at BETWEEN ? AND ?)
    WHERE (k * ?) % ? < ? ORDER BY trusted_at, received_at, seq`);
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const from = newest - 7 * DAY;
    const { n } = count.get(device(0), from, newest);
    thinned.all(device(0), from, newest, 2016, n, 2016);
    times.push(performance.now() - t);
  }
  console.log(`  previous release's 7 d query (limit 2016), 3 runs: ${times.map(ms).join(', ')}`);
}

/** The ingest's write path (groups of 1000 readings, one transaction each), without and with the rollup job's steps in between. */
function ingestCost() {
  const run = (rollUp) => {
    const dir = join(tmpdir(), `history-ingest-${process.pid}-${rollUp}`);
    rmSync(dir, { recursive: true, force: true });
    const store = new TelemetryStore({ path: join(dir, 'dashboard.sqlite'), logger });
    store.open();
    const start = Date.parse('2026-01-01T00:00:00Z');
    let writing = 0;
    let rolling = 0;
    let rollingCpu = 0;
    for (let g = 0; g < INGEST_ROWS / 1000; g++) {
      const t = performance.now();
      store.transaction(() => {
        for (let j = 0; j < 1000; j++) {
          const n = g * 1000 + j;
          const at = new Date(start + Math.floor(n / 100) * 1000).toISOString();
          store.writeReading({
            v: 2,
            device_id: device(n % 100),
            timestamp: at,
            temperature: 20 + (n % 97) / 10,
            humidite: 45,
            pression: 1013,
            batterie: 90,
            mode: 'auto',
            firmware: 'v1.0.0',
            alerte: false,
            uptime: n,
            seq: Math.floor(n / 100),
            source: 'synthetic',
            epoch: 'e',
            clock_synced: true,
            received_at: at,
            trusted_at: at,
          });
        }
      });
      writing += performance.now() - t;
      // The job runs every second; at this pace a step of ROLLUP_BATCH every 5 groups is more often than that.
      if (rollUp && g % 5 === 4) {
        const r = performance.now();
        const cpu = process.cpuUsage();
        store.rollUp(ROLLUP_BATCH);
        rolling += performance.now() - r;
        const used = process.cpuUsage(cpu);
        rollingCpu += (used.user + used.system) / 1000;
      }
    }
    store.close();
    rmSync(dir, { recursive: true, force: true });
    return { writing, rolling, rollingCpu };
  };
  const plain = run(false);
  const rolled = run(true);
  const rate = (x) => Math.round(INGEST_ROWS / (x / 1000)).toLocaleString('en');
  console.log(
    `\ningest cost (${INGEST_ROWS} readings, 100 devices, transactions of 1000, synchronous=FULL; load average ${load()}):`,
  );
  console.log(`  writes alone:           ${rate(plain.writing)} readings/s`);
  console.log(
    `  writes with rollups:    ${rate(rolled.writing)} readings/s while writing, rollup steps took ${Math.round(rolled.rolling)} ms in all`,
  );
  console.log(
    `  rolling up alone:       ${rate(rolled.rolling)} readings/s (${((rolled.rolling / rolled.writing) * 100).toFixed(1)} % of the write time); CPU ${((rolled.rollingCpu * 1000) / INGEST_ROWS).toFixed(2)} µs a reading`,
  );
}

const folder = resolve(values.dir, `history-sql-${DEVICES}x${DAYS}d`);
console.log(`history bench: ${DEVICES} devices × ${DAYS} days at 1 Hz in ${folder}; load average ${load()}`);
makeDatabase(folder);
const store = new TelemetryStore({ path: join(folder, 'dashboard.sqlite'), logger });
store.open();
const bytes = statSync(join(folder, 'dashboard.sqlite')).size;
console.log(`database: ${(bytes / 1e9).toFixed(2)} GB`);
const pending = store.rollUp(0).pending;
if (pending > 0) {
  console.log(`catching up the rollups of ${pending} readings (load average ${load()})…`);
  const c = catchUp(store);
  console.log(
    `rolled up ${c.merged} readings in ${c.seconds.toFixed(0)} s (${Math.round(c.merged / c.seconds).toLocaleString('en')} readings/s); a step of ${ROLLUP_BATCH}: p50 ${ms(c.steps.p50)}, p95 ${ms(c.steps.p95)}, max ${ms(c.steps.max)}`,
  );
}
const newest = store.database
  .prepare('SELECT MAX(trusted_at) FROM telemetry WHERE device_id = ?')
  .pluck()
  .get(device(0));
timeQueries(store, newest);
await timeWorker(store, newest);
if (values['compare-old']) compareOld(store, newest);
store.close();
if (!values['skip-ingest']) ingestCost();

/**
 * The history CSV export through the real route and HTTP: one device's readings at 1 Hz over --days days
 * (default 14: 1 209 600 rows), fetched whole by a streaming client. Prints the time, the rate, the largest
 * event-loop delay while it streamed (what one page costs the thread that serves the ingest) and the
 * heap's growth; nothing is asserted. Build first (`npx tsc -b`), then:
 *
 *   node dashboard/bench/history-csv.mjs [--days 14] [--page 2000]
 *
 * Numbers taken while other work runs on the machine are indicative only: the load average is printed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildDashboard, MqttBrokerConnection, newRecord, TelemetryStore } from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import { pino } from 'pino';

const run_ = (file, args) =>
  new Promise((resolve, reject) => execFile(file, args, (error) => (error ? reject(error) : resolve())));
const timed = async (work) => {
  const began = performance.now();
  await work();
  return performance.now() - began;
};

const { values } = parseArgs({ options: { days: { type: 'string', default: '14' } } });
const DAYS = Number(values.days);
const logger = pino({ level: 'silent' });
const DEVICE = 'bench-csv';

const INSERT = `
WITH RECURSIVE s(i) AS (SELECT @first UNION ALL SELECT i + 1 FROM s WHERE i < @last)
INSERT INTO telemetry (device_id, epoch, seq, trusted_at, received_at, timestamp, v, clock_synced, temperature,
  humidite, pression, batterie, mode, firmware, alerte, uptime, source)
SELECT @device, 'csv', i, @start + i * 1000, @start + i * 1000,
  strftime('%Y-%m-%dT%H:%M:%fZ', (@start + i * 1000) / 1000.0, 'unixepoch'), 2, 1,
  20 + (i % 100) / 10.0, 45 + (i % 300) / 30.0, 1013 + (i % 50) / 10.0, 100 - (i % 86400) / 1728.0,
  'auto', 'v1.0.0', 0, i, 'synthetic'
FROM s`;

const dir = mkdtempSync(join(tmpdir(), 'history-csv-bench-'));
const store = new TelemetryStore({ path: join(dir, 'dashboard.sqlite'), logger });
store.open();
const seconds = DAYS * 86_400;
const start = Math.floor(Date.now() / 1000) * 1000 - seconds * 1000;
const insert = store.database.prepare(INSERT);
for (let first = 0; first < seconds; first += 86_400) {
  store.transaction(() =>
    insert.run({ first, last: Math.min(seconds, first + 86_400) - 1, device: DEVICE, start }),
  );
}
store.saveDevices([{ ...newRecord(DEVICE, start), last_seen: Date.now() }]);
store.rollUp(10_000_000);

const topics = new Topics();
const broker = new MqttBrokerConnection({
  topics,
  transport: { host: '127.0.0.1', port: 1, protocol: 'mqtt' },
  clientId: 'history-csv-bench',
  logger,
});
const dashboard = await buildDashboard({
  store,
  broker,
  topics,
  logger,
  access: { auth: 'off', sessionHours: 12, allowedHosts: [], certNames: [], corsOrigins: [] },
});
const base = await dashboard.app.listen({ port: 0, host: '127.0.0.1' });

for (let run = 1; run <= 3; run++) {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapMax = heapBefore;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The client is curl in its own process: the delay measured is the server's alone.
  const out = join(dir, 'out.csv');
  const timer = setInterval(() => {
    heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
  }, 20);
  const ms = await timed(() =>
    run_('curl', [
      '-sS',
      '-o',
      out,
      `${base}/api/devices/${DEVICE}/history.csv?from=${new Date(start).toISOString()}`,
    ]),
  );
  clearInterval(timer);
  const text = readFileSync(out);
  const bytes = text.length;
  let lines = 0;
  for (let at = text.indexOf(10); at !== -1; at = text.indexOf(10, at + 1)) lines++;
  delay.disable();
  const rows = lines - 1;
  console.log(
    `run ${run}: ${rows.toLocaleString('en')} rows (${(bytes / 1e6).toFixed(0)} MB) in ${(ms / 1000).toFixed(1)} s, ` +
      `${Math.round(rows / (ms / 1000)).toLocaleString('en')} rows/s; event-loop delay p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms, ` +
      `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms; ` +
      `heap growth at most ${((heapMax - heapBefore) / 1e6).toFixed(0)} MB; load average ${loadavg()[0].toFixed(1)}`,
  );
  if (rows !== seconds) console.log(`  expected ${seconds} rows!`);
}
await dashboard.close();
await broker.stop();
store.close();
rmSync(dir, { recursive: true, force: true });

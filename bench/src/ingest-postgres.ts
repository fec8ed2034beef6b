import { join } from 'node:path';
import { PgReadingStore, postgresMissing, startTestPostgres } from '@fleet/dashboard';
import { pino } from 'pino';
import { type BenchContext, sleep, startDashboard, stopDashboard } from './context.js';
import { Publishers } from './publishers.js';
import { format, type ResultLine } from './report.js';
import { perSecond, ratio } from './stats.js';
import { deviceIds } from './telemetry.js';

/** A drain that makes no progress for this long is over. */
const IDLE_MS = 15_000;

/**
 * 1b. Ingest into PostgreSQL: the same backlog drained by the compiled dashboard with DATABASE_URL on a
 * throwaway server (Debian's PostgreSQL, started in a temporary folder; fsync on), timed by the rows its
 * delivery figures count in PostgreSQL, beside the SQLite dashboard's rate. Without PostgreSQL installed the
 * run says so in its notes.
 */
export async function measurePostgresIngest(
  context: BenchContext,
  sqliteRate: number | null,
): Promise<ResultLine[]> {
  const missing = postgresMissing();
  if (missing) {
    context.notes.push(`Ingest into PostgreSQL not measured: ${missing}.`);
    return [];
  }
  const { backlog, devices, publishers } = context.options;
  const server = await startTestPostgres();
  try {
    const url = await server.createDatabase('bench_ingest');
    const dataDir = join(context.workDir, 'ingest-pg');
    const env = { DATABASE_URL: url };
    context.progress('ingest (PostgreSQL): making the dashboard’s persistent session');
    const first = await startDashboard(context, 'ingest-pg', { dataDir, env });
    await first.stop();
    context.progress(`ingest (PostgreSQL): queuing ${format.count(backlog)} readings while it is away`);
    const pool = await Publishers.connect({
      url: context.broker.url,
      count: publishers,
      devices: deviceIds(devices),
      epoch: 'ingest-pg',
      name: 'bench-backlog-pg',
    });
    await pool.backlog(backlog);
    await pool.close();
    context.progress('ingest (PostgreSQL): the dashboard drains');
    const drained = await drain(context, url, dataDir, env, backlog);
    const rate = perSecond(drained.timed, drained.elapsedMs);
    if (drained.count < backlog) {
      context.notes.push(
        `Ingest (PostgreSQL): the dashboard stored ${drained.count} of the ${backlog} readings queued (nothing more came for ${IDLE_MS / 1000} s).`,
      );
    }
    return [
      {
        measurement: 'ingest',
        what: 'dashboard with DATABASE_URL (PostgreSQL) drains the same backlog, rows committed',
        value: `${format.rate(rate)} (${format.seconds(drained.elapsedMs)})`,
        target: null,
        met: null,
        figures: { backlog, devices, committed: drained.count, drain_ms: drained.elapsedMs, rate },
      },
      {
        measurement: 'ingest',
        what: 'dashboard on PostgreSQL / dashboard on SQLite',
        value: format.ratio(ratio(rate, sqliteRate)),
        target: null,
        met: null,
        figures: { ratio: ratio(rate, sqliteRate) },
      },
    ];
  } finally {
    await server.stop();
  }
}

async function drain(
  context: BenchContext,
  url: string,
  dataDir: string,
  env: Record<string, string>,
  expected: number,
): Promise<{ count: number; timed: number; elapsedMs: number }> {
  // The bench's own connection reads the delivery figures (one statement) every 10 ms.
  const store = new PgReadingStore({ url, logger: pino({ level: 'silent' }), poolSize: 1 });
  await store.open();
  let count = 0;
  let firstCount = 0;
  let firstAt = 0;
  let lastAt = performance.now();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const now = (await store.deliveryTotals()).received;
      if (now !== count) {
        if (count === 0) {
          firstAt = performance.now();
          firstCount = now;
        }
        count = now;
        lastAt = performance.now();
      }
      await sleep(10);
    }
  })();
  try {
    const dashboard = await startDashboard(context, 'ingest-pg', { dataDir, env });
    try {
      while (count < expected && performance.now() - lastAt < IDLE_MS) await sleep(20);
    } finally {
      await stopDashboard(context, dashboard);
    }
    return { count, timed: count - firstCount, elapsedMs: lastAt - firstAt };
  } finally {
    polling = false;
    await poller;
    await store.close();
  }
}

/**
 * A 7-day chart of one device from PostgreSQL, plain (rollup tables kept by the dashboard) beside TimescaleDB
 * (continuous aggregates, refreshed over the range before each read), through ReadingStore.history with the
 * page's week query (limit 1050: ten-minute buckets). Each database holds 7 days at one reading every
 * BENCH_CHART_STEP_MS (default 1000: 604 800 readings) of one device, written in groups of 5 000 and rolled up
 * before the first query. Numbers taken while other work runs on the machine are indicative only.
 *
 *   npx vitest bench --run --root .. dashboard/bench/pg-chart.bench.ts
 */
import type { StoredReading } from '@fleet/dashboard';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { PgReadingStore } from '../src/storage/postgres/pg-store.js';
import { quietLogger } from '../test/server/fixtures.js';
import {
  postgresMissing,
  startTestPostgres,
  type TestPostgres,
  timescaleMissing,
} from '../test/support/postgres-server.js';

const STEP = Number(process.env.BENCH_CHART_STEP_MS ?? 1000);
const WEEK = 7 * 86_400_000;
const END = Date.parse('2025-03-08T00:00:00.000Z');
const START = END - WEEK;
const GROUP = 5000;
const missing = timescaleMissing() ?? postgresMissing();

let server: TestPostgres | null = null;
const stores: Record<'plain' | 'timescale', PgReadingStore | null> = { plain: null, timescale: null };

async function fill(store: PgReadingStore): Promise<void> {
  const count = Math.floor(WEEK / STEP);
  const started = Date.now();
  for (let first = 0; first < count; first += GROUP) {
    const group = [];
    for (let seq = first; seq < Math.min(first + GROUP, count); seq++) {
      const at = START + seq * STEP;
      const iso = new Date(at).toISOString();
      const reading: StoredReading = {
        v: 2,
        device_id: 'chart-1',
        timestamp: iso,
        temperature: 20 + (seq % 100) / 10,
        humidite: 40,
        pression: 1013,
        batterie: 90,
        mode: 'auto',
        firmware: 'v1.0.0',
        alerte: false,
        uptime: seq,
        seq,
        source: 'synthetic',
        epoch: 'e1',
        clock_synced: true,
        received_at: iso,
        trusted_at: iso,
      };
      group.push({ reading, trustedAt: at, receivedAt: at });
    }
    await store.writeReadings(group);
  }
  const written = Date.now();
  for (;;) {
    const step = await store.rollUp(5000);
    if (step.pending === 0 && step.recomputed === 0) break;
  }
  console.log(
    `${store.layout}: ${count} readings written in ${written - started} ms, rolled up in ${Date.now() - written} ms`,
  );
}

beforeAll(async () => {
  if (missing) {
    console.warn(`Not measured: ${missing}`);
    return;
  }
  server = await startTestPostgres();
  for (const layout of ['plain', 'timescale'] as const) {
    const store = new PgReadingStore({
      url: await server.createDatabase(),
      logger: quietLogger(),
      timescale: layout === 'timescale',
    });
    await store.open();
    await fill(store);
    stores[layout] = store;
  }
}, 1_800_000);

afterAll(async () => {
  await stores.plain?.close();
  await stores.timescale?.close();
  await server?.stop();
});

const week = { deviceId: 'chart-1', from: START, to: END - 1, limit: 1050 };
describe.skipIf(missing !== null)('7-day chart of one device (limit 1050)', () => {
  for (const layout of ['plain', 'timescale'] as const) {
    for (const form of ['buckets', 'readings'] as const) {
      bench(`${layout}, form=${form}`, async () => {
        const answer = await stores[layout]?.history({ ...week, form });
        if (!answer || (answer.buckets.length === 0 && answer.readings.length === 0)) {
          throw new Error(`The ${layout} week came back empty.`);
        }
      });
    }
  }
  // What the TimescaleDB read spends before it reads: the three aggregates' refresh with nothing to do.
  bench('timescale, the refreshes alone (rollUp, nothing new)', async () => {
    await stores.timescale?.rollUp(0);
  });
});

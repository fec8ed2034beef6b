/**
 * Ingest into each storage engine through the ReadingStore interface, a group of GROUP readings (4 devices)
 * per transaction, as the ingest commits them: SQLite (WAL, synchronous=FULL) beside PostgreSQL (a throwaway
 * server from dashboard/test/support/postgres-server.ts, fsync on), plain and, where TimescaleDB is installed,
 * with it (hypertable, identity table, continuous aggregates). Then PostgreSQL's insert statement alone,
 * two ways: one INSERT … SELECT FROM unnest(arrays), what PgReadingStore uses, and a multi-row INSERT … VALUES.
 * Readings/s = hz × GROUP. Numbers taken while other work runs on the machine are indicative only.
 *
 *   npx vitest bench --run --root .. dashboard/bench/storage-engines.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StoredReading, TelemetryStore } from '@fleet/dashboard';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { PgReadingStore } from '../src/storage/postgres/pg-store.js';
import { createPool } from '../src/storage/postgres/pool.js';
import type { ReadingStore } from '../src/storage/reading-store.js';
import { telemetryValues } from '../src/storage/rows.js';
import { TELEMETRY_COLUMNS } from '../src/storage/schema.js';
import { SqliteReadingStore } from '../src/storage/sqlite-reading-store.js';
import { quietLogger } from '../test/server/fixtures.js';
import {
  postgresMissing,
  startTestPostgres,
  type TestPostgres,
  timescaleMissing,
} from '../test/support/postgres-server.js';

const GROUP = Number(process.env.BENCH_GROUP ?? 1000);
const T0 = Date.parse('2025-03-01T00:00:00.000Z');

/** The next group of readings: 4 devices, seqs following on from the last group's. */
function groupMaker(prefix: string) {
  let seq = 0;
  return () =>
    Array.from({ length: GROUP }, (_, i) => {
      const n = seq++;
      const at = T0 + n * 250;
      const reading: StoredReading = {
        v: 2,
        device_id: `${prefix}-${i % 4}`,
        timestamp: new Date(at).toISOString(),
        temperature: 20 + (n % 50) / 10,
        humidite: 40,
        pression: 1013,
        batterie: 90,
        mode: 'auto',
        firmware: 'v1.0.0',
        alerte: false,
        uptime: n,
        seq: n,
        source: 'synthetic',
        epoch: 'e1',
        clock_synced: true,
        received_at: new Date(at).toISOString(),
        trusted_at: new Date(at).toISOString(),
      };
      return { reading, trustedAt: at, receivedAt: at };
    });
}

const missing = postgresMissing();
const noTimescale = timescaleMissing();
let server: TestPostgres | null = null;
let dir = '';
let sqlite: ReadingStore;
let postgres: ReadingStore;
let timescale: ReadingStore | null = null;
let rawUrl = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'storage-bench-'));
  sqlite = new SqliteReadingStore(
    new TelemetryStore({ path: join(dir, 'bench.sqlite'), logger: quietLogger() }),
  );
  await sqlite.open();
  if (missing) {
    console.warn(`PostgreSQL half not measured: ${missing}`);
    return;
  }
  server = await startTestPostgres();
  postgres = new PgReadingStore({
    url: await server.createDatabase(),
    logger: quietLogger(),
    timescale: false,
  });
  await postgres.open();
  if (noTimescale) console.warn(`PostgreSQL + TimescaleDB not measured: ${noTimescale}`);
  else {
    timescale = new PgReadingStore({ url: await server.createDatabase(), logger: quietLogger() });
    await timescale.open();
  }
  rawUrl = await server.createDatabase();
  const migrate = new PgReadingStore({ url: rawUrl, logger: quietLogger(), timescale: false });
  await migrate.open();
  await migrate.close();
});

afterAll(async () => {
  await sqlite?.close();
  await postgres?.close();
  await timescale?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe(`writeReadings, ${GROUP} readings per transaction`, () => {
  const nextSqlite = groupMaker('lite');
  const nextPg = groupMaker('pg');
  bench('SQLite (WAL, synchronous=FULL)', async () => {
    await sqlite.writeReadings(nextSqlite());
  });
  bench.skipIf(missing !== null)('PostgreSQL (unnest, fsync on)', async () => {
    await postgres.writeReadings(nextPg());
  });
  const nextTs = groupMaker('ts');
  bench.skipIf(noTimescale !== null)('PostgreSQL + TimescaleDB (identity table and hypertable)', async () => {
    await timescale?.writeReadings(nextTs());
  });
});

describe.skipIf(missing !== null)(`PostgreSQL insert statement alone, ${GROUP} rows per transaction`, () => {
  const columns = TELEMETRY_COLUMNS.split(', ');
  const types = [
    'text',
    'text',
    'bigint',
    'bigint',
    'bigint',
    'text',
    'smallint',
    'smallint',
    'float8',
    'float8',
    'float8',
    'float8',
    'text',
    'text',
    'smallint',
    'bigint',
    'text',
  ];
  const nextA = groupMaker('a');
  const nextB = groupMaker('b');
  let pool: ReturnType<typeof createPool> | null = null;
  const use = () => {
    if (!pool) {
      pool = createPool(rawUrl, 1);
      // The server stops at the end of the file: an idle connection's end is not an error of the bench.
      pool.on('error', () => {});
    }
    return pool;
  };
  afterAll(async () => {
    await pool?.end();
  });
  bench('unnest of 17 arrays (17 parameters)', async () => {
    const rows = nextA().map((g) => telemetryValues(g.reading, g.trustedAt, g.receivedAt));
    const arrays = columns.map((_, c) => rows.map((row) => row[c]));
    await use().query(
      `INSERT INTO telemetry (${TELEMETRY_COLUMNS}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
       ON CONFLICT (device_id, epoch, seq) DO NOTHING RETURNING device_id, epoch, seq`,
      arrays,
    );
  });
  bench(`multi-row VALUES (${GROUP * 17} parameters)`, async () => {
    const rows = nextB().map((g) => telemetryValues(g.reading, g.trustedAt, g.receivedAt));
    const values = rows
      .map((_, r) => `(${columns.map((__, c) => `$${r * 17 + c + 1}`).join(', ')})`)
      .join(', ');
    await use().query(
      `INSERT INTO telemetry (${TELEMETRY_COLUMNS}) VALUES ${values}
       ON CONFLICT (device_id, epoch, seq) DO NOTHING RETURNING device_id, epoch, seq`,
      rows.flat(),
    );
  });
});

import { join } from 'node:path';
import { TelemetryStore } from '@fleet/dashboard';
import { afterAll, describe } from 'vitest';
import { PgReadingStore } from '../../src/storage/postgres/pg-store.js';
import type { ReadingStore, StorageEngine } from '../../src/storage/reading-store.js';
import { SqliteReadingStore } from '../../src/storage/sqlite-reading-store.js';
import { quietLogger, tempDir } from '../server/fixtures.js';
import { describeWithPostgres, postgresMissing, timescaleMissing } from '../support/postgres-server.js';

/** Opens a fresh, empty store of the engine (a new SQLite file, or a new PostgreSQL database). */
export type OpenStore = () => Promise<ReadingStore>;

/**
 * Runs `suite` once per engine, each test on a store of its own: SQLite in a temporary folder; PostgreSQL (the
 * plain layout) and PostgreSQL + TimescaleDB (hypertable and continuous aggregates) on a throwaway server
 * started for the file (test/support/postgres-server.ts). Where PostgreSQL or TimescaleDB is not installed,
 * that part is one skipped test whose name says why (and the reason is printed), never left out silently.
 */
export function describeOnEngines(
  title: string,
  suite: (open: OpenStore, engine: StorageEngine) => void,
): void {
  describe(`${title} (SQLite)`, () => {
    const opened: Array<{ store: ReadingStore; remove: () => Promise<void> }> = [];
    afterAll(async () => {
      for (const { store, remove } of opened) {
        await store.close();
        await remove();
      }
    });
    suite(async () => {
      const dir = await tempDir();
      const store = new SqliteReadingStore(
        new TelemetryStore({ path: join(dir.path, 'dashboard.sqlite'), logger: quietLogger() }),
      );
      await store.open();
      opened.push({ store, remove: dir.remove });
      return store;
    }, 'sqlite');
  });

  describeOnPostgres(`${title} (PostgreSQL)`, postgresMissing(), false, suite);
  describeOnPostgres(`${title} (PostgreSQL + TimescaleDB)`, timescaleMissing(), true, suite);
}

function describeOnPostgres(
  title: string,
  missing: string | null,
  timescale: boolean,
  suite: (open: OpenStore, engine: StorageEngine) => void,
): void {
  describeWithPostgres(title, missing, (server) => {
    const opened: ReadingStore[] = [];
    // Before the server stops: vitest runs a block's afterAll hooks last registered first.
    afterAll(async () => {
      for (const store of opened) await store.close();
    });
    suite(async () => {
      const store = new PgReadingStore({
        url: await server().createDatabase(),
        logger: quietLogger(),
        poolSize: 4,
        timescale,
      });
      await store.open();
      if (store.layout !== (timescale ? 'timescale' : 'plain')) {
        throw new Error(`The store opened with the ${store.layout} layout, not the one this engine tests.`);
      }
      opened.push(store);
      return store;
    }, 'postgresql');
  });
}

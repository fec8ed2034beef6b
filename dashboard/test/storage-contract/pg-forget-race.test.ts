import { expect, it } from 'vitest';
import type { DeviceRecord } from '../../src/fleet/device-record.js';
import { PgReadingStore } from '../../src/storage/postgres/pg-store.js';
import { createPool } from '../../src/storage/postgres/pool.js';
import { eventually, quietLogger } from '../server/fixtures.js';
import { describeWithPostgres, postgresMissing } from '../support/postgres-server.js';

const missing = postgresMissing();

const record = (device_id: string): DeviceRecord => ({
  device_id,
  first_seen: 1,
  last_seen: 2,
  status: null,
  online_status: null,
  latest: null,
  settings: null,
  firmware: null,
  alerte: false,
  availability: null,
});

describeWithPostgres(
  'PostgreSQL storage: forgetting a device while its registry row is being written',
  missing,
  (server) => {
    it('a registry write already under way does not write the device back after the forget', async () => {
      const url = await server().createDatabase();
      const store = new PgReadingStore({ url, logger: quietLogger(), poolSize: 4 });
      await store.open();
      const blocker = createPool(url, 2);
      const held = await blocker.connect();
      try {
        // Another transaction inserts the same row and does not commit yet: the store's upsert waits on it,
        // while a DELETE does not see the uncommitted row, as with two connections of one pool under load.
        await held.query('BEGIN');
        await held.query(
          'INSERT INTO devices (device_id, first_seen, last_seen, alerte) VALUES ($1, 1, 1, 0)',
          ['pi-1'],
        );
        const saving = store.saveDevices([record('pi-1')]);
        await eventually(async () => {
          const { rows } = await blocker.query<{ waiting: string }>(
            "SELECT count(*) AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO devices%unnest%'",
          );
          return Number(rows[0]?.waiting) === 1 ? true : undefined;
        });
        const forgetting = store.forgetDevice('pi-1', Date.now());
        await new Promise((resolve) => setTimeout(resolve, 200));
        await held.query('ROLLBACK');
        await Promise.all([saving, forgetting]);
        expect(await store.loadDevices()).toEqual([]);
      } finally {
        held.release();
        await blocker.end();
        await store.close();
      }
    });
  },
);

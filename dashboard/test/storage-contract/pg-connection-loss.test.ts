import { expect, it } from 'vitest';
import { createPool, inTransaction } from '../../src/storage/postgres/pool.js';
import { describeWithPostgres, postgresMissing } from '../support/postgres-server.js';

const missing = postgresMissing();

// pg-pool stops listening for a connection's errors while it is checked out, and pg emits one when the
// connection ends unexpectedly, even after failing the query under way: unheard, it is an uncaught
// exception that ends the dashboard (postgres-outage.test.ts met it when PostgreSQL halted mid-transaction).
describeWithPostgres('PostgreSQL: a connection cut in the middle of a transaction', missing, (server) => {
  it('fails that transaction with the reason, and nothing else: the pool serves the next one', async () => {
    const url = await server().createDatabase();
    const pool = createPool(url, 2);
    const admin = createPool(url, 1);
    const uncaught: unknown[] = [];
    const hear = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', hear);
    try {
      const cut = inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        // The server's end of the connection is gone; the client learns it here, or at this query.
        await new Promise((resolve) => setTimeout(resolve, 200));
        await client.query('SELECT 1');
      });
      await expect(cut).rejects.toThrow(/terminat|connection error/i);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(uncaught).toEqual([]);
      expect(await inTransaction(pool, async (client) => (await client.query('SELECT 2 AS n')).rows)).toEqual(
        [{ n: 2 }],
      );
    } finally {
      process.off('uncaughtException', hear);
      await pool.end();
      await admin.end();
    }
  });
});

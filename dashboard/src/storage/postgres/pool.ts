import pg from 'pg';

/** int8 (counts, epoch ms, sums of them) and numeric as JS numbers: epoch ms and counts stay below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** A pool on DATABASE_URL; no connection is made before the first query. */
export function createPool(url: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: url, max, types, application_name: 'fleet-dashboard' });
}

/** The URL as it may be logged: its password replaced by ***. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unreadable URL)';
  }
}

/**
 * One connection of the pool for several statements; `release()` gives it back. pg-pool stops hearing a
 * connection's errors while it is checked out, and pg emits one when the connection ends unexpectedly (a
 * server halted or restarted, the backend terminated), even after failing the query under way: unheard,
 * that error is an uncaught exception that ends the process. It is heard here: the statement under way, or
 * the next one, fails and says why, and the broken connection leaves the pool at its release.
 */
export async function checkOut(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  const heard = () => undefined;
  client.on('error', heard);
  const release = client.release.bind(client);
  client.release = (error?: Error | boolean) => {
    client.removeListener('error', heard);
    release(error);
  };
  return client;
}

/** Runs `work` in one transaction on one connection of the pool: committed whole, or rolled back. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await checkOut(pool);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

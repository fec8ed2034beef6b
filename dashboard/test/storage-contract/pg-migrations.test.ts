import { expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/storage/postgres/migrations.js';
import { PgReadingStore } from '../../src/storage/postgres/pg-store.js';
import { createPool, maskDatabaseUrl } from '../../src/storage/postgres/pool.js';
import { capturingLogger, eventually } from '../server/fixtures.js';
import { describeWithPostgres, postgresMissing, timescaleLibrary } from '../support/postgres-server.js';

const missing = postgresMissing();

describeWithPostgres('PostgreSQL storage: migrations and start-up', missing, (server) => {
  it('two replicas starting together on an empty database migrate it once; a third start applies nothing', async () => {
    const url = await server().createDatabase();
    const logs = [capturingLogger('info'), capturingLogger('info'), capturingLogger('info')];
    const [a, b, c] = logs.map(({ logger }) => new PgReadingStore({ url, logger, poolSize: 2 })) as [
      PgReadingStore,
      PgReadingStore,
      PgReadingStore,
    ];
    await Promise.all([a.open(), b.open()]);
    await c.open();
    const messages = logs.map(({ lines }) => lines.map((line) => line.msg));
    const migrated = messages.filter((m) => m.includes('PostgreSQL layout migrated')).length;
    const upToDate = messages.filter((m) => m.includes('PostgreSQL layout up to date')).length;
    expect([migrated, upToDate]).toEqual([1, 2]);
    const pool = createPool(url, 1);
    const { rows } = await pool.query('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    await pool.end();
    // Both work on the one layout: what one writes, the other reads.
    await a.saveDevices([
      {
        device_id: 'pi-1',
        first_seen: 1,
        last_seen: null,
        status: null,
        online_status: null,
        latest: null,
        settings: null,
        firmware: null,
        alerte: false,
        availability: null,
      },
    ]);
    expect((await b.loadDevices()).map((r) => r.device_id)).toEqual(['pi-1']);
    for (const store of [a, b, c]) await store.close();
  });

  it('says which PostgreSQL is in use, with the password masked, and refuses a layout newer than it knows', async () => {
    const url = await server().createDatabase();
    const password = new URL(url).password;
    const { logger, lines } = capturingLogger('info');
    // TimescaleDB, where this server has it, is declined here: the plain path and why (timescale-layout.test.ts
    // covers the other).
    const store = new PgReadingStore({ url, logger, poolSize: 2, timescale: false });
    await store.open();
    const said = lines.find((line) => String(line.msg).startsWith('Readings stored in'));
    expect(said?.msg).toBe(
      `Readings stored in plain PostgreSQL: rollups maintained by the dashboard (TimescaleDB ${timescaleLibrary() ? 'not wanted here' : 'not installed on this server'})`,
    );
    expect(said?.database).toBe(maskDatabaseUrl(url));
    expect(JSON.stringify(lines)).not.toContain(password);
    await store.close();
    const pool = createPool(url, 1);
    await pool.query("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')");
    await pool.end();
    const newer = new PgReadingStore({ url, logger, poolSize: 1 });
    await expect(newer.open()).rejects.toThrow(
      `layout is version 99, written by a newer release of the dashboard; this release knows versions up to ${MIGRATIONS.at(-1)?.version}`,
    );
    expect((await newer.isHealthy().catch(() => 'not open')) === true).toBe(false);
  });

  it('an idle connection lost (the server ends it) is said without the connection parameters, and the next query works', async () => {
    const url = await server().createDatabase();
    const password = new URL(url).password;
    const { logger, lines } = capturingLogger('info');
    const store = new PgReadingStore({ url, logger, poolSize: 2 });
    await store.open();
    expect(await store.loadDevices()).toEqual([]); // a connection left idle in the pool
    const admin = createPool(server().adminUrl, 1);
    const ended = await admin.query(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'fleet-dashboard' AND datname = $1",
      [new URL(url).pathname.slice(1)],
    );
    await admin.end();
    expect(ended.rows.length).toBeGreaterThan(0);
    const lost = await eventually(
      () =>
        lines.find(
          (line) => line.msg === 'An idle PostgreSQL connection was lost; the next query opens another',
        ),
      5000,
      () => 'the lost connection said',
    );
    expect(lost).toMatchObject({ level: 40, code: '57P01' });
    expect(JSON.stringify(lines)).not.toContain(password);
    expect(await store.isHealthy()).toBe(true);
    await store.close();
  });

  it('masks the password of a URL', () => {
    expect(maskDatabaseUrl('postgres://fleet:s3cret@db.example:5432/fleet')).toBe(
      'postgres://fleet:***@db.example:5432/fleet',
    );
    expect(maskDatabaseUrl('postgres://db.example/fleet')).toBe('postgres://db.example/fleet');
  });
});

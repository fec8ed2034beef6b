import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type LeadHandlers, PgLeadership } from '../../src/alerts/leadership.js';
import { PgAlertStore } from '../../src/alerts/pg-alert-store.js';
import { migrate } from '../../src/storage/postgres/migrations.js';
import { createPool } from '../../src/storage/postgres/pool.js';
import { capturingLogger, eventually } from '../server/fixtures.js';
import { describeWithPostgres, postgresMissing } from '../support/postgres-server.js';

const missing = postgresMissing();

// Two replicas' leaderships on one throwaway PostgreSQL: one leads; a leader whose lock connection is cut
// stops at once, and the other takes over; the fence refuses an incident write by a replica that does not lead.
describeWithPostgres('alerts leadership through a PostgreSQL advisory lock', missing, (server) => {
  let url: string;
  let pool: pg.Pool;
  const leaderships: PgLeadership[] = [];
  beforeAll(async () => {
    url = await server().createDatabase();
    pool = createPool(url, 4);
    await migrate(pool, capturingLogger('info').logger);
  });
  afterEach(async () => {
    for (const leadership of leaderships.splice(0)) await leadership.stop();
  });
  afterAll(async () => {
    await pool?.end();
  });

  /** A replica's leadership, recording what it was told, in order, in `trace`. */
  const replica = (name: string, trace: string[]) => {
    const log = capturingLogger('info');
    const leadership = new PgLeadership({
      client: () => new pg.Client({ connectionString: url, application_name: `lock-${name}` }),
      logger: log.logger,
      retryMs: 100,
      checkMs: 500,
    });
    leaderships.push(leadership);
    const handlers: LeadHandlers = {
      lead: async () => {
        trace.push(`${name} leads`);
      },
      follow: async () => {
        trace.push(`${name} follows`);
      },
    };
    return { leadership, handlers, log };
  };
  const frost = { deviceId: 'gh-1', rule: 'frost' as const, at: 1000, value: 1, threshold: 2 };

  it('lets one replica lead; cut off, it stops, the other takes over, and only the leader may write an incident', async () => {
    const trace: string[] = [];
    const a = replica('A', trace);
    const b = replica('B', trace);
    await a.leadership.start(a.handlers);
    await b.leadership.start(b.handlers);
    expect([a.leadership.leading, b.leadership.leading]).toEqual([true, false]);
    expect(trace).toEqual(['A leads']);
    // The fence: B's store refuses to open an incident, A's writes it.
    const storeA = new PgAlertStore(pool, a.leadership);
    const storeB = new PgAlertStore(pool, b.leadership);
    await expect(storeB.open(frost, ['webhook'])).rejects.toThrow(/does not lead the alerts/);
    expect((await storeA.open(frost, ['webhook'])).created).toBe(true);
    // A's lock connection is cut (as when its process dies or its network fails): A stops, then B leads.
    await pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock-A'",
    );
    await eventually(() => b.leadership.leading, 10_000, 'B to take over');
    expect(a.leadership.leading).toBe(false);
    expect(trace).toEqual(['A leads', 'A follows', 'B leads']);
    expect(a.log.lines.map((line) => line.msg)).toContainEqual(
      expect.stringMatching(
        /^This replica no longer leads the alerts \(its connection to PostgreSQL failed: /,
      ),
    );
    expect(b.log.lines.map((line) => line.msg)).toContain(
      'This replica leads the alerts now: it evaluates the rules and sends the notifications',
    );
    const { incident } = await storeB.open(frost, []);
    await expect(storeA.resolve(incident.id, 2000, 3, ['webhook'])).rejects.toThrow(/does not lead/);
    expect(await storeB.resolve(incident.id, 2000, 3, ['webhook'])).toMatchObject({ state: 'resolved' });
  });

  it('gives the lock back when it stops, so that another replica leads', async () => {
    const trace: string[] = [];
    const a = replica('A', trace);
    const b = replica('B', trace);
    await a.leadership.start(a.handlers);
    await b.leadership.start(b.handlers);
    await a.leadership.stop();
    await eventually(() => b.leadership.leading, 10_000, 'B to take over');
    expect(trace).toEqual(['A leads', 'A follows', 'B leads']);
  });
});

import { randomUUID } from 'node:crypto';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import { loadDashboardConfig, type RunningDashboard, startDashboard } from '@fleet/dashboard';
import mqtt from 'mqtt';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger, eventually, telemetry, tempDir } from '../server/fixtures.js';
import { postgresMissing, startTestPostgres, type TestPostgres } from '../support/postgres-server.js';

const missing = postgresMissing();

/**
 * PostgreSQL down during ingest: the dashboard acknowledges nothing it could not commit, so what it held when
 * it stopped is redelivered by Mosquitto to the next run, and stored once.
 */
describe('the dashboard on PostgreSQL when the database goes away', () => {
  if (missing) {
    console.warn(`SKIPPED: PostgreSQL outage: ${missing}`);
    it.skip(`skipped: ${missing}`, () => {});
    return;
  }
  let server: TestPostgres;
  let broker: BrokerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let running: RunningDashboard | null = null;
  let sql: pg.Pool;
  let url: string;

  beforeAll(async () => {
    server = await startTestPostgres();
    url = await server.createDatabase();
    sql = new pg.Pool({ connectionString: url, max: 1 });
    sql.on('error', () => {}); // its idle connection ends when the server halts
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await tempDir();
  });
  afterAll(async () => {
    await running?.stop();
    await sql?.end();
    await broker?.stop();
    await server?.stop();
    await dir?.remove();
  });

  it('acknowledges nothing while PostgreSQL is down; after a stop, the broker redelivers and each reading is stored once', async () => {
    const start = async (logger = pino({ level: 'silent' })) => {
      const port = await freePort();
      const config = loadDashboardConfig({
        PORT: String(port),
        HOST: '127.0.0.1',
        MQTT_BROKER: broker.host,
        MQTT_PORT: String(broker.port),
        MQTT_CLIENT_ID: 'dashboard-pg-outage',
        DATA_DIR: `${dir.path}/dashboard`,
        DATABASE_URL: url,
      });
      running = await startDashboard(config, { logger });
      return `http://127.0.0.1:${port}`;
    };
    const count = async () => Number((await sql.query('SELECT COUNT(*) AS n FROM telemetry')).rows[0]?.n);
    const log = capturingLogger('info');
    const base = await start(log.logger);
    const device = await mqtt.connectAsync(`mqtt://${broker.host}:${broker.port}`, {
      clientId: `pg-outage-${randomUUID()}`,
    });
    const t0 = Date.now() - 300_000;
    const send = async (from: number, to: number) => {
      const sends = [];
      for (let seq = from; seq < to; seq++) {
        const reading = telemetry({
          v: 2,
          device_id: 'pg-out',
          epoch: 'e1',
          clock_synced: true,
          seq,
          timestamp: new Date(t0 + seq * 1000).toISOString(),
        });
        sends.push(device.publishAsync('devices/pg-out/data', JSON.stringify(reading), { qos: 1 }));
      }
      await Promise.all(sends);
    };
    await send(0, 100);
    await eventually(
      async () => (await count()) === 100,
      10_000,
      () => '100 readings stored',
    );

    await server.halt();
    await send(100, 200);
    await eventually(
      () => log.lines.some((line) => String(line.msg).startsWith('The database cannot be written')),
      10_000,
      () => 'the failure said',
    );
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ database: 'error' });
    // Stopped while the 100 new readings wait for their commit: none was acknowledged to the broker.
    await running?.stop();
    running = null;

    await server.resume();
    expect(await count()).toBe(100);
    await start();
    await eventually(
      async () => (await count()) === 200,
      20_000,
      () => '200 readings stored after the restart',
    );
    const figures = await sql.query('SELECT received, min_seq, max_seq, conflicts FROM delivery');
    expect(figures.rows).toEqual([{ received: '200', min_seq: '0', max_seq: '199', conflicts: '0' }]);
    expect(Number((await sql.query('SELECT COUNT(DISTINCT seq) AS n FROM telemetry')).rows[0]?.n)).toBe(200);
    await device.endAsync();
  });
});

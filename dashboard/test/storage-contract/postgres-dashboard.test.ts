import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import {
  type DevicesResponse,
  type HistoryResponse,
  loadDashboardConfig,
  type RunningDashboard,
  startDashboard,
} from '@fleet/dashboard';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, runService, type Service } from '../integration/processes.js';
import { capturingLogger, eventually, telemetry, tempDir } from '../server/fixtures.js';
import {
  postgresMissing,
  startTestPostgres,
  type TestPostgres,
  timescaleLibrary,
} from '../support/postgres-server.js';

const SIMULATOR_ENTRY = fileURLToPath(new URL('../../../edge/dist/simulator/main.js', import.meta.url));
const missing =
  postgresMissing() ??
  (existsSync(SIMULATOR_ENTRY) ? null : `${SIMULATOR_ENTRY} is missing (run npx tsc -b edge)`);
const DEVICES = ['pg-1', 'pg-2', 'pg-3', 'pg-4'];
const PER_DEVICE = 250;

/** The real dashboard with DATABASE_URL on a throwaway PostgreSQL, a real Mosquitto and the simulator. */
describe('the dashboard with DATABASE_URL (PostgreSQL)', () => {
  if (missing) {
    console.warn(`SKIPPED: the dashboard on PostgreSQL: ${missing}`);
    it.skip(`skipped: ${missing}`, () => {});
    return;
  }
  let server: TestPostgres;
  let url: string;
  let broker: BrokerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let running: RunningDashboard | null = null;
  let base: string;
  let simulator: Service | null = null;
  let sql: pg.Pool;
  const log = capturingLogger('info');
  const config = (port: number) =>
    loadDashboardConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: 'dashboard-pg-e2e',
      DATA_DIR: `${dir.path}/dashboard`,
      DATABASE_URL: url,
    });
  const count = async (query: string, params: unknown[] = []) =>
    Number((await sql.query<{ n: string }>(query, params)).rows[0]?.n);

  beforeAll(async () => {
    server = await startTestPostgres();
    url = await server.createDatabase();
    sql = new pg.Pool({ connectionString: url, max: 2 });
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await tempDir();
    const port = await freePort();
    running = await startDashboard(config(port), { logger: log.logger });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    if (simulator) await killAll([simulator]);
    await running?.stop();
    await sql?.end();
    await broker?.stop();
    await server?.stop();
    await dir?.remove();
  });

  it('stores each reading exactly once in PostgreSQL, redeliveries included, and serves it back', async () => {
    // Where this server has TimescaleDB the dashboard uses it, and says so; elsewhere the plain path.
    const said = log.lines.find((line) => String(line.msg).startsWith('Readings stored in'));
    expect(said?.msg).toMatch(
      timescaleLibrary()
        ? /^Readings stored in TimescaleDB \d+\.\d+\.\d+: hypertable, compression, continuous aggregates$/
        : /^Readings stored in plain PostgreSQL: rollups maintained by the dashboard \(TimescaleDB not installed on this server\)$/,
    );
    const started = log.lines.find((line) => String(line.msg).startsWith('Dashboard listening'));
    expect(started?.msg).toContain(
      `readings, history, the registry, users, tokens and sessions in PostgreSQL ${url.replace(/:[^:@/]+@/, ':***@')}`,
    );
    expect(JSON.stringify(log.lines)).not.toContain(new URL(url).password);

    const client = await mqtt.connectAsync(`mqtt://${broker.host}:${broker.port}`, {
      clientId: `pg-e2e-${randomUUID()}`,
    });
    const t0 = Date.now() - PER_DEVICE * 1000;
    const message = (device: string, seq: number) =>
      JSON.stringify(
        telemetry({
          v: 2,
          device_id: device,
          epoch: 'e1',
          clock_synced: true,
          seq,
          timestamp: new Date(t0 + seq * 1000).toISOString(),
          temperature: 20 + seq / 100,
        }),
      );
    const sends: Array<Promise<unknown>> = [];
    for (let seq = 0; seq < PER_DEVICE; seq++) {
      for (const device of DEVICES)
        sends.push(client.publishAsync(`devices/${device}/data`, message(device, seq), { qos: 1 }));
    }
    // A device's outbox sent twice: the first 50 of each again.
    for (let seq = 0; seq < 50; seq++) {
      for (const device of DEVICES)
        sends.push(client.publishAsync(`devices/${device}/data`, message(device, seq), { qos: 1 }));
    }
    await Promise.all(sends);
    await client.endAsync();

    const total = DEVICES.length * PER_DEVICE;
    await eventually(
      async () => (await count('SELECT COUNT(*) AS n FROM telemetry')) === total,
      20_000,
      () => `${total} rows in PostgreSQL`,
    );
    expect(await count('SELECT COUNT(DISTINCT (device_id, epoch, seq)) AS n FROM telemetry')).toBe(total);
    expect(await count('SELECT SUM(received) AS n FROM delivery')).toBe(total);

    const devices = (await (await fetch(`${base}/api/devices`)).json()) as DevicesResponse;
    const ours = devices.devices.filter((d) => DEVICES.includes(d.device_id));
    expect(ours.map((d) => [d.device_id, d.delivery, d.latest?.seq])).toEqual(
      DEVICES.map((id) => [id, { received: PER_DEVICE, lost: 0, conflicts: 0 }, PER_DEVICE - 1]),
    );
    const history = (await (
      await fetch(`${base}/api/devices/pg-2/history?limit=1000`)
    ).json()) as HistoryResponse;
    expect(history.history.map((r) => r.seq)).toEqual(Array.from({ length: PER_DEVICE }, (_, i) => i));
    const buckets = (await (
      await fetch(`${base}/api/devices/pg-2/history?limit=5&form=buckets`)
    ).json()) as HistoryResponse;
    expect(buckets.buckets?.reduce((n, b) => n + b.n, 0)).toBe(PER_DEVICE);
    const data = (await (await fetch(`${base}/api/data?device=pg-3&limit=3`)).json()) as {
      history: Array<{ seq: number }>;
    };
    expect(data.history.map((r) => r.seq)).toEqual([247, 248, 249]);
    const csv = await (await fetch(`${base}/api/devices/pg-4/history.csv`)).text();
    expect(csv.trim().split('\n')).toHaveLength(PER_DEVICE + 1);
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ status: 'ok', database: 'ok' });
    // Forgetting a device removes its data from PostgreSQL too.
    expect((await fetch(`${base}/api/devices/pg-4`, { method: 'DELETE' })).status).toBe(204);
    await eventually(
      async () => (await count("SELECT COUNT(*) AS n FROM telemetry WHERE device_id = 'pg-4'")) === 0,
      10_000,
      () => 'the forgotten device without readings in PostgreSQL',
    );
    expect(await count("SELECT COUNT(*) AS n FROM delivery WHERE device_id = 'pg-4'")).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM telemetry')).toBe(total - PER_DEVICE);
  });

  it('stores the simulator’s readings there too, and the registry comes back from PostgreSQL after a restart', async () => {
    simulator = runService(SIMULATOR_ENTRY, { MQTT_BROKER: broker.host, MQTT_PORT: String(broker.port) });
    const ids = Array.from({ length: 10 }, (_, index) => `sim-${String(index + 1).padStart(5, '0')}`);
    await eventually(
      async () =>
        (await count("SELECT COUNT(DISTINCT device_id) AS n FROM telemetry WHERE device_id LIKE 'sim-%'")) ===
        10,
      30_000,
      () =>
        `ten simulated devices with readings in PostgreSQL (simulator: ${simulator?.lines.slice(-2).join(' | ')})`,
    );
    await killAll([simulator]);
    simulator = null;
    await running?.stop();
    running = null;
    // Nothing of the readings path went to the SQLite file.
    const local = new Database(`${dir.path}/dashboard/dashboard.sqlite`, { readonly: true });
    const localRows = local
      .prepare('SELECT (SELECT COUNT(*) FROM telemetry) + (SELECT COUNT(*) FROM devices) AS n')
      .get() as { n: number };
    local.close();
    expect(localRows.n).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM devices')).toBe(13);

    const port = await freePort();
    running = await startDashboard(config(port), { logger: pino({ level: 'silent' }) });
    const devices = (await (await fetch(`http://127.0.0.1:${port}/api/devices`)).json()) as DevicesResponse;
    // pg-4 was forgotten: not back.
    expect(devices.devices.map((d) => d.device_id).sort()).toEqual([...DEVICES.slice(0, 3), ...ids].sort());
    expect(devices.devices.find((d) => d.device_id === 'pg-1')?.delivery).toEqual({
      received: PER_DEVICE,
      lost: 0,
      conflicts: 0,
    });
  });
});

import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStream, type SseEvent } from '../integration/sse-client.js';
import { eventually, tempDir } from '../server/fixtures.js';
import { postgresMissing, startTestPostgres, type TestPostgres } from '../support/postgres-server.js';
import {
  DashboardProcess,
  deviceClient,
  drillSkipReason,
  inDatabase,
  perDevice,
  publishReadings,
  reading,
  storedCount,
} from './drill-kit.js';

const DEVICES = 4;
const PER_DEVICE = 5000;
const TOTAL = DEVICES * PER_DEVICE;
/** Replica B is killed (SIGKILL) once this many readings are committed. */
const KILL_AT = 5000;
const GROUP = 'drill-replicas';

const skip = drillSkipReason('the replicas drill') !== null;

/** A device that answers every command with an applied ack, as the edge does. */
async function answeringDevice(broker: BrokerHandle, deviceId: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker.url, { clientId: `drill-answer-${randomUUID()}` });
  client.on('message', (_topic, payload) => {
    const command = JSON.parse(String(payload)) as { command_id?: string; mode?: string };
    const ack = {
      device_id: deviceId,
      command_id: command.command_id ?? null,
      status: 'applied',
      error: null,
      settings: { mode: command.mode ?? 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
      firmware: 'v1.0.0',
      timestamp: new Date().toISOString(),
    };
    void client.publishAsync(`devices/${deviceId}/ack`, JSON.stringify(ack), { qos: 1 });
  });
  await client.subscribeAsync(`devices/${deviceId}/commands`, { qos: 1 });
  return client;
}

/** Waits until `read()` has not changed for `quietMs`; answers its last value. */
async function settled(read: () => Promise<number>, quietMs: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  let last = await read();
  let since = Date.now();
  while (Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return now;
  }
  throw new Error(`Still changing after ${timeoutMs} ms (last ${last}).`);
}

/** Where the replicas store readings, and how the drill reads what is committed there. */
interface Engine {
  /** Each replica's variables besides the broker's. */
  env(tmp: string): Promise<{
    a: { dataDir: string; env: Record<string, string> };
    b: { dataDir: string; env: Record<string, string> };
  }>;
  stored(): Promise<number>;
  perDevice(): Promise<Array<{ device_id: string; rows: number; seqs: number; first: number; last: number }>>;
  delivery(): Promise<Array<{ device_id: string; received: number; conflicts: number }>>;
  stop(): Promise<void>;
}

/**
 * SQLite: both replicas on one file in WAL mode, a test arrangement that SQLite supports on one host (a writer
 * waits up to busy_timeout, 5 s, for the other's transaction), not a supported placement.
 */
function sqliteEngine(): Engine {
  let path = '';
  return {
    async env(tmp) {
      const dataDir = join(tmp, 'shared-data');
      path = join(dataDir, 'dashboard.sqlite');
      return { a: { dataDir, env: {} }, b: { dataDir, env: {} } };
    },
    stored: async () => storedCount(path),
    perDevice: async () => perDevice(path),
    delivery: async () =>
      inDatabase(path, (db) =>
        db.prepare('SELECT device_id, received, conflicts FROM delivery ORDER BY device_id').all(),
      ) as Array<{ device_id: string; received: number; conflicts: number }>,
    stop: async () => undefined,
  };
}

/** PostgreSQL (DATABASE_URL): one database for both replicas, each with its own data folder (users, trail). */
function postgresEngine(): Engine {
  let server: TestPostgres | null = null;
  let pool: pg.Pool | null = null;
  const rows = async <T>(query: string): Promise<T[]> => ((await pool?.query(query))?.rows ?? []) as T[];
  return {
    async env(tmp) {
      server = await startTestPostgres();
      const url = await server.createDatabase();
      pool = new pg.Pool({ connectionString: url, max: 2 });
      return {
        a: { dataDir: join(tmp, 'a'), env: { DATABASE_URL: url } },
        b: { dataDir: join(tmp, 'b'), env: { DATABASE_URL: url } },
      };
    },
    async stored() {
      try {
        return Number(
          (await rows<{ n: string }>('SELECT COALESCE(SUM(received), 0) AS n FROM delivery'))[0]?.n ?? 0,
        );
      } catch {
        return 0; // the tables are not made yet
      }
    },
    perDevice: async () =>
      (
        await rows<{ device_id: string; rows: string; seqs: string; first: string; last: string }>(
          `SELECT device_id, COUNT(*) AS rows, COUNT(DISTINCT seq) AS seqs, MIN(seq) AS first, MAX(seq) AS last
           FROM telemetry GROUP BY device_id ORDER BY device_id`,
        )
      ).map((row) => ({
        device_id: row.device_id,
        rows: Number(row.rows),
        seqs: Number(row.seqs),
        first: Number(row.first),
        last: Number(row.last),
      })),
    delivery: async () =>
      (
        await rows<{ device_id: string; received: string; conflicts: string }>(
          'SELECT device_id, received, conflicts FROM delivery ORDER BY device_id',
        )
      ).map((row) => ({
        device_id: row.device_id,
        received: Number(row.received),
        conflicts: Number(row.conflicts),
      })),
    async stop() {
      await pool?.end();
      await server?.stop();
    },
  };
}

const pgMissing = postgresMissing();
if (pgMissing && !skip) console.warn(`Skipping the replicas drill on PostgreSQL: ${pgMissing}.`);

describe.each([
  { name: 'one SQLite file (a test arrangement)', engine: sqliteEngine, missing: null },
  { name: 'PostgreSQL (DATABASE_URL)', engine: postgresEngine, missing: pgMissing },
])(
  'drill: two dashboard replicas share the readings through a shared subscription, on $name',
  ({ name, engine: makeEngine, missing }) => {
    if (skip || missing) {
      it.skip(`skipped: ${missing ?? 'see the warning above'}`, () => {});
      return;
    }
    const engine = makeEngine();
    let broker: BrokerHandle;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let a: DashboardProcess;
    let b: DashboardProcess;
    const clients: MqttClient[] = [];

    beforeAll(async () => {
      broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
      dir = await tempDir();
      const places = await engine.env(dir.path);
      a = new DashboardProcess(broker, places.a.dataDir, { MQTT_SHARE_GROUP: GROUP, ...places.a.env });
      b = new DashboardProcess(broker, places.b.dataDir, { MQTT_SHARE_GROUP: GROUP, ...places.b.env });
    }, 60_000);
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.endAsync(true)));
      await a?.kill();
      await b?.kill();
      await broker?.stop();
      await engine.stop();
      await dir?.remove();
    });

    it(`stores ${TOTAL} readings from ${DEVICES} devices exactly once with B killed mid-ingest and back under its MQTT_CLIENT_ID; A pushes every reading live; both list the fleet and send commands`, async () => {
      // A first: it makes the database (migrations) before B opens it.
      await a.start();
      await b.start();
      const ids = Array.from({ length: DEVICES }, (_, i) => `rep-${i}`);
      // A browser on replica A watching each device.
      const streams = ids.map((id) => openEventStream(`${a.base}/api/events?device=${id}&fleet=none`));
      clients.push(await answeringDevice(broker, 'rep-0'));
      const devices = await Promise.all(ids.map((id) => deviceClient(broker, id)));
      clients.push(...devices);
      const publishing = Promise.all(
        devices.map((client, i) =>
          publishReadings(
            client,
            Array.from({ length: PER_DEVICE }, (_, seq) => reading(`rep-${i}`, seq)),
            20,
          ),
        ),
      );
      await eventually(
        async () => (await engine.stored()) >= KILL_AT,
        60_000,
        `${KILL_AT} readings committed`,
      );
      await b.kill();
      const atKill = await engine.stored();
      await publishing;
      // The broker has every reading. A stores its share and stops: Mosquitto 2.0.11 keeps B's (in flight when
      // it died, and those it went on handing to B's session while B was away) for B.
      const withoutB = await settled(() => engine.stored(), 3000, 60_000);
      expect(atKill).toBeLessThan(TOTAL);
      expect(withoutB).toBeLessThan(TOTAL);
      expect(withoutB).toBeGreaterThan(atKill);
      const report = process.env.DRILL_REPORT;
      if (report) appendFileSync(report, `${JSON.stringify({ engine: name, atKill, withoutB })}\n`);

      await b.start();
      await eventually(async () => (await engine.stored()) === TOTAL, 60_000, `all ${TOTAL} readings`);
      expect(await engine.perDevice()).toEqual(
        ids.map((id) => ({
          device_id: id,
          rows: PER_DEVICE,
          seqs: PER_DEVICE,
          first: 0,
          last: PER_DEVICE - 1,
        })),
      );
      expect(await engine.delivery()).toEqual(
        ids.map((id) => ({ device_id: id, received: PER_DEVICE, conflicts: 0 })),
      );

      // Both replicas show the figures of the shared database, whichever replica stored what (DeliveryRefresh).
      for (const replica of [a, b]) {
        await eventually(
          async () =>
            (await replica.devices()).every(
              (device) => device.delivery.received === PER_DEVICE && device.delivery.lost === 0,
            ),
          15_000,
          `every device's figures on ${replica.base} at ${PER_DEVICE} received, 0 lost`,
        );
      }
      // Both replicas list the four devices.
      for (const replica of [a, b]) {
        expect((await replica.devices()).map((device) => device.device_id)).toEqual(ids);
      }

      // A command through either replica comes back applied (the ack reaches every replica).
      for (const [replica, mode] of [
        [a, 'economie'],
        [b, 'manuel'],
      ] as const) {
        const response = await fetch(`${replica.base}/api/command?wait=10`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ device_id: 'rep-0', mode }),
        });
        expect(response.status, await response.clone().text()).toBe(200);
        expect(await response.json()).toMatchObject({
          status: 'success',
          ack: { status: 'applied', settings: { mode } },
        });
      }

      // A's page saw every reading of every device live, once, whichever replica stored it.
      const liveSeqs = (events: SseEvent[]) =>
        events
          .filter((event) => event.event === 'telemetry')
          .map((event) => (event.data as { seq: number }).seq);
      for (const stream of streams) stream.close();
      for (const [index, stream] of streams.entries()) {
        const seqs = liveSeqs(stream.events);
        expect(new Set(seqs).size, `distinct live readings of rep-${index}`).toBe(PER_DEVICE);
        expect(seqs.length, `live readings of rep-${index}`).toBe(PER_DEVICE);
      }
      if (report) {
        const problems = [...a.lines, ...b.lines].filter((line) => /"level":(40|50|60)/.test(line));
        const kinds = new Map<string, number>();
        for (const line of problems) {
          const parsed = JSON.parse(line) as { msg?: string; component?: string; err?: { message?: string } };
          const key = `${parsed.component ?? ''}: ${parsed.msg ?? ''} ${parsed.err?.message ?? ''}`.slice(
            0,
            160,
          );
          kinds.set(key, (kinds.get(key) ?? 0) + 1);
        }
        appendFileSync(report, `${JSON.stringify([...kinds])}\n`);
      }
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    }, 240_000);
  },
);

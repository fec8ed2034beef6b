/**
 * How fast the dashboard stores telemetry; prints rows/s. Run with
 * `npm run bench --workspace dashboard` or `npx vitest bench --run dashboard/bench`.
 *
 *  - ingest path: MQTT payloads validated (shared zod schemas), queued and written in batched SQLite
 *    transactions, as the dashboard does for every message it receives;
 *  - end to end: device clients publish at QoS 1 to a real broker (Mosquitto when installed) and the
 *    dashboard's MQTT connection receives, validates and stores every reading.
 *
 * BENCH_ROWS and BENCH_E2E_ROWS change the sizes (defaults 5000 per ingest run, 20 000 end to end).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { DashboardEvents, Fleet, Ingest, MqttBrokerConnection, TelemetryStore } from '@fleet/dashboard';
import { systemClock, type Telemetry } from '@fleet/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, bench, describe } from 'vitest';

const logger = pino({ level: 'silent' });
const ROWS = Number(process.env.BENCH_ROWS ?? 5000);
const E2E_ROWS = Number(process.env.BENCH_E2E_ROWS ?? 20_000);
/** Device clients publishing at once in the end-to-end run, each waiting for its PUBACK before the next. */
const E2E_DEVICES = 20;
const results: string[] = [];
let dir: string;
let broker: BrokerHandle;

function payload(deviceId: string, seq: number): Buffer {
  const reading: Telemetry = {
    device_id: deviceId,
    timestamp: new Date(Date.UTC(2025, 0, 1) + seq * 1000).toISOString(),
    temperature: 20 + (seq % 100) / 10,
    humidite: 45.5,
    pression: 1012.3,
    batterie: 90,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: false,
    uptime: seq,
    seq,
    source: 'synthetic',
  };
  return Buffer.from(JSON.stringify(reading));
}

/** Store, fleet and ingest wired as buildDashboard wires them. */
function pipeline() {
  const store = new TelemetryStore({ path: join(dir, `${randomUUID()}.sqlite`), logger });
  store.open();
  const fleet = new Fleet({ store, events: new DashboardEvents(), clock: systemClock, logger });
  store.onStored((rows) => fleet.recordTelemetry(rows));
  const ingest = new Ingest({ store, fleet, clock: systemClock, logger });
  return { store, ingest };
}

/** Sums the measured runs (not the warm-up) of one benchmark. */
function meter(what: string) {
  let rows = 0;
  let ms = 0;
  return {
    add(count: number, elapsed: number) {
      rows += count;
      ms += elapsed;
    },
    reset() {
      rows = 0;
      ms = 0;
    },
    report(extra = '') {
      if (rows === 0) return;
      const perSecond = Math.round((rows / ms) * 1000).toLocaleString('en');
      results.push(`${what}: ${perSecond} rows/s (${rows} rows in ${Math.round(ms)} ms)${extra}`);
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dashboard-bench-'));
  broker = await startTestBroker({ logger });
});

afterAll(async () => {
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
  console.log(`\nDashboard telemetry ingest (${broker?.kind ?? 'no'} broker)\n  ${results.join('\n  ')}\n`);
});

describe('telemetry ingest', () => {
  const ingestMeter = meter('ingest path (validate + batched SQLite transactions)');
  let parts: ReturnType<typeof pipeline>;
  let seq = 0;

  bench(
    `ingest path: ${ROWS} messages validated and stored`,
    () => {
      const messages = Array.from({ length: ROWS }, () => {
        const n = seq++;
        return { topic: `devices/pi-${n % 10}/data`, payload: payload(`pi-${n % 10}`, n), retain: false };
      });
      const started = performance.now();
      for (const message of messages) parts.ingest.handle(message);
      parts.store.flush();
      ingestMeter.add(ROWS, performance.now() - started);
    },
    {
      iterations: 10,
      time: 0,
      setup: (_task, mode) => {
        parts = pipeline();
        if (mode === 'run') ingestMeter.reset();
      },
      teardown: (_task, mode) => {
        parts.store.close();
        if (mode === 'run') ingestMeter.report();
      },
    },
  );

  const e2eMeter = meter(`end to end, ${E2E_DEVICES} devices publishing at QoS 1 through the broker`);
  let lost = 0;

  bench(
    `end to end: ${E2E_ROWS} readings from ${E2E_DEVICES} devices through the broker into the database`,
    async () => {
      const { store, ingest } = pipeline();
      const connection = new MqttBrokerConnection({
        transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
        clientId: `bench-dashboard-${randomUUID()}`,
        logger,
      });
      connection.onMessage((message) => ingest.handle(message));
      let stored = 0;
      store.onStored((rows) => {
        stored += rows.length;
      });
      connection.start();
      while (!connection.connected) await new Promise((resolve) => setTimeout(resolve, 10));
      const devices = await Promise.all(
        Array.from({ length: E2E_DEVICES }, () =>
          mqtt.connectAsync(broker.url, { clientId: `bench-${randomUUID()}` }),
        ),
      );
      const perDevice = Math.ceil(E2E_ROWS / E2E_DEVICES);
      const started = performance.now();
      await Promise.all(
        devices.map(async (device, index) => {
          const deviceId = `bench-${index}`;
          for (let n = 0; n < perDevice; n++) {
            await device.publishAsync(`devices/${deviceId}/data`, payload(deviceId, n), { qos: 1 });
          }
        }),
      );
      const deadline = Date.now() + 60_000;
      while (stored < perDevice * E2E_DEVICES && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      e2eMeter.add(stored, performance.now() - started);
      lost += perDevice * E2E_DEVICES - stored;
      await Promise.all(devices.map((device) => device.endAsync()));
      await connection.stop();
      store.close();
    },
    {
      iterations: 2,
      time: 0,
      warmupIterations: 0,
      warmupTime: 0,
      teardown: () => e2eMeter.report(lost > 0 ? `; ${lost} readings did not arrive within 60 s` : ''),
    },
  );
});

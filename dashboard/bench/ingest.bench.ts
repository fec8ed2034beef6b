/**
 * How fast the dashboard stores telemetry; prints messages/s. Run with
 * `npm run bench -w dashboard` (or `npx vitest bench --run dashboard/bench`).
 *
 *  - ingest path: MQTT payloads validated (shared zod schemas) and committed by the ingest in groups, as
 *    the dashboard does for every message it receives, without a broker;
 *  - end to end: device clients publish at QoS 1 to a real broker (Mosquitto when installed) and the
 *    dashboard's MQTT connection receives, validates and commits every reading (WAL, synchronous=FULL),
 *    each PUBACK going back to the broker only after its reading's commit. Twice: with the chosen design
 *    (the PUBACKs held while mqtt.js reads on, a commit per group of what arrived together) and with a commit
 *    per message (maxGroup 1), to compare.
 *
 * BENCH_ROWS and BENCH_E2E_ROWS change the sizes (defaults 5000 per ingest run, 20 000 end to end);
 * BENCH_DIR the folder of the databases (default the system's temporary folder: put it on the disk whose
 * sync cost you want to see, such as an SD card).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import {
  CommandTrail,
  DashboardEvents,
  Fleet,
  Ingest,
  MqttBrokerConnection,
  RegistryWriter,
  SqliteTrailStore,
  TelemetryStore,
} from '@fleet/dashboard';
import { systemClock, type Telemetry, Topics } from '@fleet/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, bench, describe } from 'vitest';

const logger = pino({ level: 'silent' });
const ROWS = Number(process.env.BENCH_ROWS ?? 5000);
const E2E_ROWS = Number(process.env.BENCH_E2E_ROWS ?? 20_000);
/** Device clients publishing at once in the end-to-end run. */
const E2E_DEVICES = 20;
const topics = new Topics();
const results: string[] = [];
let dir: string;
let broker: BrokerHandle;

function payload(deviceId: string, seq: number): Buffer {
  const reading: Telemetry = {
    v: 2,
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
    epoch: 'bench',
    clock_synced: true,
  };
  return Buffer.from(JSON.stringify(reading));
}

/** Store, fleet, trail and ingest wired as buildDashboard wires them. */
function pipeline(maxGroup?: number) {
  const store = new TelemetryStore({ path: join(dir, `${randomUUID()}.sqlite`), logger });
  store.open();
  const events = new DashboardEvents();
  const fleet = new Fleet({ store, events, logger });
  const trail = new CommandTrail(new SqliteTrailStore(store.database), systemClock, events);
  let stored = 0;
  events.on('telemetry', () => {
    stored += 1;
  });
  const registry = new RegistryWriter({ store, events, logger });
  const ingest = new Ingest({
    store,
    fleet,
    trail,
    registry,
    topics,
    clock: systemClock,
    logger,
    ...(maxGroup ? { maxGroup } : {}),
  });
  return { store, ingest, stored: () => stored };
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
      results.push(`${what}: ${perSecond} messages/s (${rows} in ${Math.round(ms)} ms)${extra}`);
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'dashboard-bench-'));
  broker = await startTestBroker({ logger });
});

afterAll(async () => {
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
  console.log(
    `\nDashboard telemetry ingest (${broker?.kind ?? 'no'} broker; databases in ${dir})\n  ${results.join('\n  ')}\n`,
  );
});

describe('telemetry ingest', () => {
  const ingestMeter = meter('ingest path (validate + group commits, synchronous=FULL)');
  let parts: ReturnType<typeof pipeline>;
  let seq = 0;

  bench(
    `ingest path: ${ROWS} messages validated and stored`,
    async () => {
      const messages = Array.from({ length: ROWS }, () => {
        const n = seq++;
        return { topic: topics.data(`pi-${n % 10}`), payload: payload(`pi-${n % 10}`, n), retain: false };
      });
      const started = performance.now();
      await Promise.all(messages.map((message) => parts.ingest.handle(message)));
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
        parts.ingest.stop();
        parts.store.close();
        if (mode === 'run') ingestMeter.report();
      },
    },
  );

  for (const [label, maxGroup] of [
    ['group commits, PUBACKs held until each commit (the design in use)', undefined],
    ['a commit per message (maxGroup 1)', 1],
  ] as const) {
    const e2eMeter = meter(`end to end, ${E2E_DEVICES} devices at QoS 1 through the broker, ${label}`);
    let lost = 0;
    bench(
      `end to end: ${E2E_ROWS} readings from ${E2E_DEVICES} devices, ${label}`,
      async () => {
        const { store, ingest, stored } = pipeline(maxGroup);
        const connection = new MqttBrokerConnection({
          transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
          clientId: `bench-dashboard-${randomUUID()}`,
          topics,
          logger,
        });
        connection.onMessage((message) => ingest.handle(message));
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
            const sent: Array<Promise<unknown>> = [];
            for (let n = 0; n < perDevice; n++) {
              sent.push(device.publishAsync(topics.data(deviceId), payload(deviceId, n), { qos: 1 }));
            }
            await Promise.all(sent);
          }),
        );
        const deadline = Date.now() + 120_000;
        while (stored() < perDevice * E2E_DEVICES && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        e2eMeter.add(stored(), performance.now() - started);
        lost += perDevice * E2E_DEVICES - stored();
        await Promise.all(devices.map((device) => device.endAsync()));
        await connection.stop();
        ingest.stop();
        store.close();
      },
      {
        iterations: 2,
        time: 0,
        warmupIterations: 0,
        warmupTime: 0,
        teardown: () => e2eMeter.report(lost > 0 ? `; ${lost} readings did not arrive within 120 s` : ''),
      },
    );
  }
});

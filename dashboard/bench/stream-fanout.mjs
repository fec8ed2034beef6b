#!/usr/bin/env node
/**
 * The event stream's fan-out in one process, without a broker: N devices known, each sending a reading a
 * second through the real ingest (Ingest + TelemetryStore on disk + Fleet), while W clients each watch one
 * device (`?device=ID&fleet=none`), R clients take the fleet's rows and C its counts, over real HTTP on
 * loopback. The clients run in this same process and only count what they get (they parse the readings of
 * the watched devices, for the latency), so the figures include their cost: indicative only, and more so
 * while other work runs on the machine (the load average is printed).
 *
 *   npx tsc -b && node dashboard/bench/stream-fanout.mjs [--devices 10000] [--watchers 1000] [--rows 10]
 *       [--counts 10] [--seconds 10]
 *
 * Prints: the first fleet event's size and build time, per second the frames built and the fleet update's
 * size and build time, the delivery latency of watched readings (p50, p99: from the reading's timestamp,
 * stamped when handed to the ingest, to its arrival at the client), the event loop's utilisation and RSS.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildDashboard, MqttBrokerConnection, TelemetryStore } from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import { pino } from 'pino';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    watchers: { type: 'string', default: '1000' },
    rows: { type: 'string', default: '10' },
    counts: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
  },
});
const N = Number(values.devices);
const W = Number(values.watchers);
const R = Number(values.rows);
const C = Number(values.counts);
const S = Number(values.seconds);
const id = (i) => `sim-${String(i + 1).padStart(5, '0')}`;

const dir = await mkdtemp(join(tmpdir(), 'stream-fanout-'));
const logger = pino({ level: 'warn' });
const store = new TelemetryStore({ path: join(dir, 'dashboard.sqlite'), logger });
store.open();
const topics = new Topics();
const broker = new MqttBrokerConnection({
  topics,
  transport: { host: '127.0.0.1', port: 1, protocol: 'mqtt' },
  clientId: `bench-${randomUUID()}`,
  logger,
});
const dashboard = await buildDashboard({
  store,
  broker,
  topics,
  logger,
  eventStreamMaxClients: W + R + C + 10,
  access: { auth: 'off', sessionHours: 12, allowedHosts: [], certNames: [], corsOrigins: [] },
});
const { hub, ingest } = dashboard;
const message = (topic, payload) => ({
  topic,
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  retain: false,
});
const seqs = new Array(N).fill(0);
const reading = (i) => ({
  v: 2,
  device_id: id(i),
  timestamp: new Date().toISOString(),
  temperature: 20 + (i % 10),
  humidite: 40,
  pression: 1013,
  batterie: 90,
  mode: 'auto',
  firmware: 'v1.0.0',
  alerte: false,
  uptime: 10,
  seq: seqs[i]++,
  source: 'synthetic',
  epoch: 'e1',
  clock_synced: true,
});

// The fleet: each device online with one reading.
const seeding = [];
for (let i = 0; i < N; i += 1) {
  seeding.push(ingest.handle(message(`devices/${id(i)}/availability`, 'online')));
  seeding.push(ingest.handle(message(`devices/${id(i)}/data`, reading(i))));
}
ingest.flush();
await Promise.all(seeding);
hub.flushFleet();

// Timing of the fleet feed's updates (the hub's own timer calls them).
const feed = hub.fleetFeed;
const updates = [];
const update = feed.update.bind(feed);
feed.update = () => {
  const before = hub.frames.built;
  const start = performance.now();
  update();
  if (hub.frames.built > before) updates.push(performance.now() - start);
};

const address = await dashboard.app.listen({ port: 0, host: '127.0.0.1' });
const port = Number(new URL(address).port);
const latencies = [];
const received = { bytes: 0, rowsBytes: 0 };
let firstRows = null;
function open(path, onChunk) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false });
    req.on('response', (response) => {
      response.setEncoding('utf8');
      response.on('data', onChunk);
      resolve(req);
    });
    req.on('error', reject);
    req.end();
  });
}
const clients = [];
const openStart = performance.now();
for (let r = 0; r < R; r += 1) {
  const fullAt = performance.now();
  clients.push(
    await open('/api/events?fleet=rows', (chunk) => {
      received.bytes += chunk.length;
      received.rowsBytes += chunk.length;
      if (firstRows === null && received.rowsBytes > 0) firstRows = { at: performance.now() - fullAt };
    }),
  );
}
for (let c = 0; c < C; c += 1) {
  clients.push(await open('/api/events?fleet=counts', (chunk) => (received.bytes += chunk.length)));
}
for (let w = 0; w < W; w += 1) {
  let buffer = '';
  clients.push(
    await open(`/api/events?device=${id(w % N)}&fleet=none`, (chunk) => {
      received.bytes += chunk.length;
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith('event: telemetry\n')) {
          latencies.push(
            Date.now() - Date.parse(JSON.parse(block.slice(block.indexOf('data: ') + 6)).timestamp),
          );
        }
      }
    }),
  );
}
const opened = performance.now() - openStart;
const fullSize = Buffer.byteLength(hub.fleetFeed.fullFrame('rows'));
console.log(
  `${N} devices; ${R} rows clients, ${C} counts clients, ${W} watchers opened in ${opened.toFixed(0)} ms; the first rows event is ${(fullSize / 1024).toFixed(0)} KiB`,
);
const fullTimes = [];
for (let k = 0; k < 5; k += 1) {
  hub.fleetFeed.full.clear();
  const start = performance.now();
  hub.fleetFeed.fullFrame('rows');
  fullTimes.push(performance.now() - start);
}
console.log(`building it: ${fullTimes.map((t) => t.toFixed(1)).join(', ')} ms (5 times)`);

// N readings a second, in 100 slices of 10 ms.
const load0 = loadavg()[0];
latencies.length = 0;
updates.length = 0;
const built0 = hub.frames.built;
const elu0 = performance.eventLoopUtilization();
let rss = 0;
let next = 0;
const slice = Math.ceil(N / 100);
const started = Date.now();
await new Promise((resolve) => {
  const tick = setInterval(() => {
    for (let k = 0; k < slice; k += 1) {
      ingest.handle(message(`devices/${id(next)}/data`, reading(next)));
      next = (next + 1) % N;
    }
    rss = Math.max(rss, process.memoryUsage().rss);
    if (Date.now() - started >= S * 1000) {
      clearInterval(tick);
      resolve();
    }
  }, 10);
});
await new Promise((resolve) => setTimeout(resolve, 1500));
const elu = performance.eventLoopUtilization(elu0);
const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const updSorted = [...updates].sort((a, b) => a - b);
console.log(
  [
    `${S} s at ${N} readings/s: ${((hub.frames.built - built0) / S).toFixed(0)} frames built a second for ${hub.size} clients`,
    `fleet updates: ${updates.length}, build time p50 ${updSorted[Math.floor(updSorted.length / 2)]?.toFixed(1)} ms, max ${updSorted.at(-1)?.toFixed(1)} ms`,
    `rows clients received ${(received.rowsBytes / R / S / 1024).toFixed(0)} KiB/s each`,
    `watched readings: ${latencies.length}, latency p50 ${pct(50)} ms, p99 ${pct(99)} ms`,
    `event loop utilisation ${(elu.utilization * 100).toFixed(0)} % (server and clients in one process), RSS max ${(rss / 1048576).toFixed(0)} MiB`,
    `load average ${load0.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after (2 cores; other work on the machine)`,
  ].join('\n'),
);
for (const req of clients) req.destroy();
await dashboard.close();
store.close();
await rm(dir, { recursive: true, force: true });
process.exit(0);

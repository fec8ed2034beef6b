#!/usr/bin/env node
/**
 * Ingest against the broker's own pace: one Mosquitto (cloud/mosquitto/development.conf, via startTestBroker)
 * queues the same backlog of QoS 1 readings for two persistent sessions that are away, then each drains it
 * alone, one after the other, so neither competes with the other nor with the publishers:
 *
 *  (a) a bare MQTT.js subscriber that only counts (its PUBACKs go at once, as mqtt.js sends them);
 *  (b) the dashboard's real ingest: MqttBrokerConnection + Ingest + TelemetryStore on disk (WAL,
 *      synchronous=FULL), each PUBACK held until its reading's group is committed.
 *
 * Prints both rates, the CPU each costs per message, how busy Mosquitto was during each drain (Linux, from
 * /proc), the ratio (b)/(a) and the machine's load average before and after. Each rate runs from
 * the connect call to the last reading counted (b: committed and announced).
 *
 *   npm run build && node dashboard/bench/drain.mjs [--readings 200000] [--devices 100] [--runs 1]
 *       [--bare-protocol 4|5] [--max-group N] [--sync-normal] [--profile dashboard.cpuprofile] [--dir /path/for/databases]
 *
 * --sync-normal runs the dashboard with synchronous=NORMAL (no sync at each commit: NOT its durability), to
 * see what the syncs cost. --profile records a CPU profile of the dashboard's drain only (open it in Chrome's DevTools or speedscope).
 * Mosquitto's max_queued_bytes (64 MiB per session) bounds the backlog: about 200 000 readings of 300 bytes.
 * Numbers taken while other work runs on the machine are indicative only: the load average is printed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestBroker } from '@fleet/cloud';
import {
  CommandTrail,
  DashboardEvents,
  dashboardSubscriptions,
  Fleet,
  Ingest,
  MqttBrokerConnection,
  RegistryWriter,
  TelemetryStore,
} from '@fleet/dashboard';
import { systemClock, Topics } from '@fleet/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { cpuPercent, sampleProcess } from '../../bench/dist/proc.js';

const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '200000' },
    devices: { type: 'string', default: '100' },
    runs: { type: 'string', default: '1' },
    'bare-protocol': { type: 'string', default: '4' },
    profile: { type: 'string' },
    'max-group': { type: 'string' },
    'sync-normal': { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
});
const READINGS = Number(values.readings);
const DEVICES = Number(values.devices);
const RUNS = Number(values.runs);
const BARE_PROTOCOL = Number(values['bare-protocol']);
const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const topics = new Topics();
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

function payload(deviceId, seq) {
  return JSON.stringify({
    v: 2,
    device_id: deviceId,
    timestamp: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
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
    epoch: 'drain',
    clock_synced: true,
  });
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes the backlog at QoS 1 from a few publishers, each with a bounded window, and waits for every PUBACK. */
async function publishBacklog(url, run) {
  const publishers = await Promise.all(
    Array.from({ length: 4 }, () => mqtt.connectAsync(url, { clientId: `drain-pub-${randomUUID()}` })),
  );
  let next = 0;
  let bytes = 0;
  await Promise.all(
    publishers.map(async (client) => {
      const window = [];
      while (next < READINGS) {
        const n = next++;
        const deviceId = `drain-${run}-${n % DEVICES}`;
        const text = payload(deviceId, Math.floor(n / DEVICES));
        bytes += text.length;
        window.push(client.publishAsync(topics.data(deviceId), text, { qos: 1 }));
        if (window.length >= 500) await Promise.all(window.splice(0));
      }
      await Promise.all(window);
    }),
  );
  await Promise.all(publishers.map((client) => client.endAsync()));
  return bytes / READINGS;
}

/** (a) The bare subscriber: creates its session now, drains it later. */
function bareSession(url, clientId) {
  const options = { clientId, clean: false, protocolVersion: BARE_PROTOCOL };
  if (BARE_PROTOCOL === 5) options.properties = { sessionExpiryInterval: 3600 };
  return {
    async create() {
      const client = await mqtt.connectAsync(url, options);
      await client.subscribeAsync(dashboardSubscriptions(topics), { qos: 1 });
      await client.endAsync();
    },
    async drain() {
      let count = 0;
      const cpu = process.cpuUsage();
      const started = performance.now();
      const client = mqtt.connect(url, options);
      const done = new Promise((resolve) => {
        client.on('message', () => {
          count += 1;
          if (count === READINGS) resolve(performance.now());
        });
      });
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve(performance.now()), 300_000);
      });
      const ended = await Promise.race([done, timeout]);
      clearTimeout(timer);
      const cpuMs = cpuMsSince(cpu);
      await client.endAsync();
      return { count, ms: ended - started, cpuMs };
    },
  };
}

/** (b) The dashboard's ingest, wired as buildDashboard wires it, on a database file in `dir`. */
function dashboardSession(broker, clientId, dir) {
  const connect = () => {
    const store = new TelemetryStore({ path: join(dir, `${clientId}.sqlite`), logger });
    store.open();
    // Diagnostic only, not the dashboard's durability: how much of the drain is the sync to disk at each commit.
    if (values['sync-normal']) store.database.pragma('synchronous = NORMAL');
    // Counts the transactions, for the mean group size.
    let commits = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = (work) => {
      commits += 1;
      return transaction(work);
    };
    const events = new DashboardEvents();
    const fleet = new Fleet({ store, events, logger });
    fleet.load();
    const trail = new CommandTrail(store.database, systemClock, events);
    const registry = new RegistryWriter({ store, events, logger });
    registry.start();
    const maxGroup = values['max-group'] ? { maxGroup: Number(values['max-group']) } : {};
    const ingest = new Ingest({
      store,
      fleet,
      trail,
      registry,
      topics,
      clock: systemClock,
      logger,
      ...maxGroup,
    });
    const connection = new MqttBrokerConnection({
      transport: { host: broker.host, port: broker.port, protocol: 'mqtt' },
      clientId,
      topics,
      logger,
    });
    connection.onMessage((message) => ingest.handle(message));
    let stored = 0;
    events.on('telemetry', () => {
      stored += 1;
    });
    return {
      connection,
      stored: () => stored,
      commits: () => commits,
      async close() {
        await connection.stop();
        ingest.stop();
        registry.stop();
        store.close();
      },
    };
  };
  return {
    async create() {
      const parts = connect();
      parts.connection.start();
      while (!parts.connection.connected) await wait(10);
      await parts.close();
    },
    async drain(profilePath) {
      const parts = connect();
      const session = profilePath ? new Session() : null;
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const cpu = process.cpuUsage();
      const started = performance.now();
      parts.connection.start();
      let ended = started;
      const deadline = started + 300_000;
      // PUBACKs held at once: how many unacknowledged messages the broker sent ahead (its in-flight window).
      let maxHeld = 0;
      while (parts.stored() < READINGS && performance.now() < deadline) {
        maxHeld = Math.max(maxHeld, parts.connection.heldAcks);
        await new Promise((resolve) => setImmediate(resolve));
        ended = performance.now();
      }
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        await writeFile(profilePath, JSON.stringify(profile));
        session.disconnect();
      }
      const cpuMs = cpuMsSince(cpu);
      const count = parts.stored();
      const commits = parts.commits();
      await parts.close();
      return { count, ms: ended - started, commits, maxHeld, cpuMs };
    },
  };
}

const rate = ({ count, ms }) => Math.round((count / ms) * 1000);
/** This process's CPU time (user + system, all threads) since `start`, in ms. */
const cpuMsSince = (start) => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
};
/** The broker's CPU so far (Mosquitto's /proc, Linux), or null where there is none to read (aedes). */
const brokerSample = () => (broker.pid === undefined ? null : sampleProcess(broker.pid));
/** How busy the broker was between two brokerSample()s, as a share of one core. */
const brokerShare = (before, after) =>
  before === null || after === null
    ? 'n/a'
    : `${Math.round(cpuPercent(after.ticks - before.ticks, after.at - before.at))}% of a core`;

/** CPU µs per message: less sensitive than the rates to what else runs on the machine. */
const perMessage = ({ count, cpuMs }) => ((cpuMs * 1000) / count).toFixed(1);
const fmt = (n) => n.toLocaleString('en');

const dir = await mkdtemp(join(values.dir ?? tmpdir(), 'drain-'));
const broker = await startTestBroker({ logger });
console.log(
  `Drain: ${fmt(READINGS)} QoS 1 readings from ${DEVICES} devices queued in ${broker.kind} for two persistent sessions; bare subscriber MQTT ${BARE_PROTOCOL === 5 ? '5' : '3.1.1'}; databases in ${dir}`,
);
const ratios = [];
try {
  for (let run = 1; run <= RUNS; run++) {
    const bare = bareSession(broker.url, `drain-bare-${run}-${randomUUID()}`);
    const dashboard = dashboardSession(broker, `drain-dashboard-${run}-${randomUUID()}`, dir);
    await bare.create();
    await dashboard.create();
    const publishStarted = performance.now();
    const size = await publishBacklog(broker.url, run);
    const publishMs = performance.now() - publishStarted;
    await wait(500);
    const loadBefore = load();
    const brokerAtStart = brokerSample();
    const a = await bare.drain();
    const brokerBetween = brokerSample();
    const b = await dashboard.drain(values.profile);
    const brokerAtEnd = brokerSample();
    const ratio = rate(b) / rate(a);
    ratios.push(ratio);
    console.log(
      `run ${run}: queued in ${Math.round(publishMs)} ms (payload ${Math.round(size)} B); ` +
        `bare ${fmt(rate(a))} msg/s (${fmt(a.count)} in ${Math.round(a.ms)} ms, ${perMessage(a)} µs CPU each, broker ${brokerShare(brokerAtStart, brokerBetween)}); ` +
        `dashboard ${fmt(rate(b))} rows/s (${fmt(b.count)} in ${Math.round(b.ms)} ms, ${perMessage(b)} µs CPU each, broker ${brokerShare(brokerBetween, brokerAtEnd)}); ` +
        `${fmt(b.commits)} commits (${Math.round(b.count / b.commits)} readings each, up to ${fmt(b.maxHeld)} PUBACKs held at once); ratio ${ratio.toFixed(2)}; load average ${loadBefore} -> ${load()} (1, 5, 15 min; ${availableParallelism()} cores)`,
    );
    if (a.count < READINGS || b.count < READINGS) {
      console.log(
        `  not every reading arrived: bare ${a.count}, dashboard ${b.count} of ${READINGS} (the broker's max_queued_bytes?)`,
      );
    }
  }
  if (values.profile) console.log(`CPU profile of the dashboard's drain: ${values.profile}`);
} finally {
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
}
if (RUNS > 1) console.log(`ratios: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);

import { join } from 'node:path';
import { dashboardSubscriptions } from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { type BenchContext, sleep, startDashboard, stopDashboard } from './context.js';
import { measurePostgresIngest } from './ingest-postgres.js';
import { Publishers } from './publishers.js';
import { format, type ResultLine } from './report.js';
import { perSecond, ratio } from './stats.js';
import { deviceIds } from './telemetry.js';

const BARE_CLIENT_ID = 'bench-bare-subscriber';
/** A drain that makes no progress for this long is over (the broker dropped or lost the rest). */
const IDLE_MS = 15_000;
const TARGET_RATIO = 0.9;

interface Drain {
  /** Readings drained. */
  count: number;
  /** Readings drained after the first one seen (the span `elapsedMs` covers). */
  timed: number;
  /** From the first reading to the last, ms. */
  elapsedMs: number;
  /** From the start of the connection (or of the process) to the first reading, ms. */
  startMs: number;
}

/**
 * 1. Ingest. Both consumers have a persistent session subscribed to the dashboard's topics and are away
 * while `backlog` readings are published; then each in turn connects and drains the same queue: a bare
 * MQTT.js subscriber that only counts, and the compiled dashboard, timed by the rows it commits (read from its
 * database, read-only). The publishers never set the pace: everything is queued before either drains.
 */
export async function measureIngest(context: BenchContext): Promise<ResultLine[]> {
  const { backlog, devices, publishers } = context.options;
  const subscriptions = dashboardSubscriptions(new Topics());
  const dataDir = join(context.workDir, 'ingest');

  context.progress('ingest: making the two persistent sessions');
  const bare = await mqtt.connectAsync(context.broker.url, {
    clientId: BARE_CLIENT_ID,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  await bare.subscribeAsync(subscriptions, { qos: 1 });
  await bare.endAsync();
  const first = await startDashboard(context, 'ingest', { dataDir });
  await first.stop();

  context.progress(
    `ingest: queuing ${format.count(backlog)} readings of ${devices} devices while both are away`,
  );
  const pool = await Publishers.connect({
    url: context.broker.url,
    count: publishers,
    devices: deviceIds(devices),
    epoch: 'ingest',
    name: 'bench-backlog',
  });
  const queuedAt = performance.now();
  await pool.backlog(backlog);
  const queueMs = performance.now() - queuedAt;
  await pool.close();

  context.progress('ingest: the bare subscriber drains');
  const bareDrain = await drainBare(context.broker.url, backlog);
  context.progress(
    `ingest: the dashboard drains (${format.rate(perSecond(bareDrain.timed, bareDrain.elapsedMs))} for the bare one)`,
  );
  const dashboardDrain = await drainDashboard(context, dataDir, backlog);

  const bareRate = perSecond(bareDrain.timed, bareDrain.elapsedMs);
  const dashboardRate = perSecond(dashboardDrain.timed, dashboardDrain.elapsedMs);
  const shareOf = ratio(dashboardRate, bareRate);
  for (const [who, drain] of [
    ['The bare subscriber', bareDrain],
    ['The dashboard', dashboardDrain],
  ] as const) {
    if (drain.count < backlog) {
      context.notes.push(
        `Ingest: ${who} received ${drain.count} of the ${backlog} readings queued (nothing more came for ${IDLE_MS / 1000} s): the broker bounds a session's queue (max_queued_bytes of the development profile), so lower BENCH_BACKLOG.`,
      );
    }
  }
  const common = { backlog, devices, publishers, queue_ms: Math.round(queueMs) };
  const lines: ResultLine[] = [
    {
      measurement: 'ingest',
      what: `bare MQTT.js subscriber drains ${format.count(backlog)} queued QoS 1 readings`,
      value: `${format.rate(bareRate)} (${format.seconds(bareDrain.elapsedMs)})`,
      target: null,
      met: null,
      figures: {
        ...common,
        received: bareDrain.count,
        drain_ms: bareDrain.elapsedMs,
        rate: bareRate,
        first_after_ms: bareDrain.startMs,
      },
    },
    {
      measurement: 'ingest',
      what: 'dashboard drains the same backlog, rows committed',
      value: `${format.rate(dashboardRate)} (${format.seconds(dashboardDrain.elapsedMs)})`,
      target: null,
      met: null,
      figures: {
        ...common,
        committed: dashboardDrain.count,
        drain_ms: dashboardDrain.elapsedMs,
        rate: dashboardRate,
        first_after_ms: dashboardDrain.startMs,
      },
    },
    {
      measurement: 'ingest',
      what: 'dashboard / bare subscriber',
      value: format.ratio(shareOf),
      target: `>= ${TARGET_RATIO.toFixed(2)}x`,
      met: shareOf === null ? null : shareOf >= TARGET_RATIO,
      figures: { ratio: shareOf },
    },
  ];
  return [...lines, ...(await measurePostgresIngest(context, dashboardRate))];
}

/** The bare subscriber comes back to its session and counts what the broker delivers (MQTT.js PUBACKs each). */
async function drainBare(url: string, expected: number): Promise<Drain> {
  const connectedAt = performance.now();
  const client = mqtt.connect(url, {
    clientId: BARE_CLIENT_ID,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  let count = 0;
  let firstAt = 0;
  let lastAt = 0;
  client.on('message', () => {
    const now = performance.now();
    if (count === 0) firstAt = now;
    lastAt = now;
    count += 1;
  });
  while (count < expected && performance.now() - (count === 0 ? connectedAt : lastAt) < IDLE_MS)
    await sleep(5);
  // Leaves the session empty: unsubscribe so that later measurements do not queue for it.
  await client.unsubscribeAsync(dashboardSubscriptions(new Topics())).catch(() => undefined);
  await client.endAsync();
  return { count, timed: count - 1, elapsedMs: lastAt - firstAt, startMs: firstAt - connectedAt };
}

/** The dashboard comes back; its committed rows are read from its delivery figures every 10 ms. */
async function drainDashboard(context: BenchContext, dataDir: string, expected: number): Promise<Drain> {
  const db = new Database(join(dataDir, 'dashboard.sqlite'), { readonly: true, fileMustExist: true });
  const committed = db.prepare('SELECT COALESCE(SUM(received), 0) AS n FROM delivery');
  const read = () => (committed.get() as { n: number }).n;
  const startedAt = performance.now();
  let count = 0;
  let firstCount = 0;
  let firstAt = 0;
  let lastAt = startedAt;
  // Polled from before the process starts: the drain begins as soon as it connects, before it answers /healthz.
  const poll = setInterval(() => {
    const now = read();
    if (now === count) return;
    if (count === 0) {
      firstAt = performance.now();
      firstCount = now;
    }
    count = now;
    lastAt = performance.now();
  }, 10);
  try {
    const dashboard = await startDashboard(context, 'ingest', { dataDir });
    try {
      while (count < expected && performance.now() - lastAt < IDLE_MS) await sleep(20);
    } finally {
      await stopDashboard(context, dashboard);
    }
    return { count, timed: count - firstCount, elapsedMs: lastAt - firstAt, startMs: firstAt - startedAt };
  } finally {
    clearInterval(poll);
    db.close();
  }
}

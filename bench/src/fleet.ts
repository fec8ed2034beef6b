import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type BenchContext, sleep, startDashboard, stopDashboard } from './context.js';
import { REPO } from './dashboard-process.js';
import { LoadSampler } from './proc.js';
import { format, type ResultLine } from './report.js';
import { type EventStream, openEventStream } from './sse.js';

export const SIMULATOR_ENTRY = `${REPO}edge/dist/simulator/main.js`;
const RSS_TARGET_BYTES = 300_000_000;
/** Seconds between a simulated device's readings. */
const INTERVAL_S = 5;
/** Connections the simulator starts a second. */
const CONNECT_RATE = 1000;

interface Counts {
  devices: number;
  online: number;
}

/**
 * 6. Fleet: `npm run simulate` (the edge's own device code, one MQTT client and session per device) brings
 * BENCH_FLEET_DEVICES devices, a reading every 5 s each, to the run's Mosquitto; the dashboard follows them.
 * How long until its fleet counts (GET /api/events?fleet=counts) show them all online, then its RSS and CPU
 * while they publish.
 */
export async function measureFleet(context: BenchContext): Promise<ResultLine[]> {
  const count = context.options.fleetDevices;
  const seconds = context.options.seconds;
  if (!existsSync(SIMULATOR_ENTRY))
    throw new Error(`The simulator is not built (${SIMULATOR_ENTRY} is missing).`);
  context.progress(
    `fleet: npm run simulate -- --devices ${count} --interval ${INTERVAL_S}, followed by the dashboard`,
  );
  const dashboard = await startDashboard(context, 'fleet', {
    ...(count > 20_000 ? { env: { MAX_DEVICES: String(count) } } : {}),
  });
  let counts: Counts = { devices: 0, online: 0 };
  let stream: EventStream | null = null;
  let simulator: ChildProcess | null = null;
  try {
    stream = openEventStream(`${dashboard.url}/api/events?fleet=counts`, (event) => {
      if (event.event === 'fleet') counts = (JSON.parse(event.data) as { counts: Counts }).counts;
    });
    const status = await stream.opened;
    if (status !== 200)
      throw new Error(`GET /api/events?fleet=counts answered ${status}: the dashboard has no fleet counts.`);
    const whole = new LoadSampler(dashboard.pid);
    whole.start();
    const started = performance.now();
    simulator = spawn(
      process.execPath,
      [
        SIMULATOR_ENTRY,
        '--devices',
        String(count),
        '--interval',
        String(INTERVAL_S),
        '--rate',
        String(CONNECT_RATE),
        '--prefix',
        'fleet-',
      ],
      {
        cwd: REPO,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/tmp',
          MQTT_BROKER: '127.0.0.1',
          MQTT_PORT: String(context.broker.port),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let simulatorErrors = '';
    simulator.stderr?.on('data', (chunk: Buffer) => {
      if (simulatorErrors.length < 2000) simulatorErrors += chunk.toString();
    });
    const limitMs = (count / CONNECT_RATE + 120) * 1000;
    while (counts.online < count && performance.now() - started < limitMs && simulator.exitCode === null)
      await sleep(100);
    const followedMs = performance.now() - started;
    const followed = counts.online;
    if (followed < count) {
      context.notes.push(
        `Fleet: the dashboard showed ${followed} of ${count} simulated devices online after ${format.seconds(followedMs)}${simulator.exitCode !== null ? ` (the simulator exited with ${simulator.exitCode}: ${simulatorErrors.trim().slice(0, 300)})` : ''}.`,
      );
    }
    const steady = new LoadSampler(dashboard.pid);
    steady.start();
    await sleep(seconds * 1000);
    const load = steady.stop();
    const overall = whole.stop();
    const label = `${format.count(count)} devices of npm run simulate, a reading every ${INTERVAL_S} s each (${format.count(count / INTERVAL_S)} msg/s)`;
    return [
      {
        measurement: 'fleet',
        what: `${label}: online in the dashboard's fleet counts`,
        value: `${format.count(followed)} after ${format.seconds(followedMs)}`,
        target: `${format.count(count)} followed`,
        met: followed >= count,
        figures: {
          devices: count,
          online: followed,
          after_ms: Math.round(followedMs),
          final_online: counts.online,
        },
      },
      {
        measurement: 'fleet',
        what: `dashboard RSS and CPU, ${label}`,
        value: `RSS ${format.mb(Math.max(load.rssMax, overall.rssMax))}, CPU ${format.percent(load.cpuPercent)} of a core`,
        target: `RSS < ${format.mb(RSS_TARGET_BYTES)}`,
        met: Math.max(load.rssMax, overall.rssMax) < RSS_TARGET_BYTES,
        figures: {
          devices: count,
          seconds,
          rss_max_bytes: Math.max(load.rssMax, overall.rssMax),
          rss_end_bytes: load.rssEnd,
          cpu_percent: load.cpuPercent,
        },
      },
    ];
  } finally {
    stream?.close();
    if (simulator && simulator.exitCode === null) {
      const exited = new Promise((resolve) => simulator?.once('exit', resolve));
      simulator.kill('SIGTERM');
      const timer = setTimeout(() => simulator?.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }
    await stopDashboard(context, dashboard);
  }
}

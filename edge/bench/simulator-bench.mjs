// npm run simulate at scale: N simulated devices against one Mosquitto (cloud/mosquitto/development.conf on
// a free loopback port, a fresh broker for each N). For each N it prints the time until every device was
// connected at once, then, over --hold seconds, the simulator's and Mosquitto's CPU (share of one core) and
// RSS, and the messages per second. Numbers, not a test; build first (npx tsc -b edge cloud).
//   node edge/bench/simulator-bench.mjs [--devices 1000,10000] [--interval 5] [--rate 1000] [--hold 30]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultMosquittoConfPath, freePort, MOSQUITTO_BINARY, rewriteMosquittoConf } from '@fleet/cloud';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000,10000' },
    interval: { type: 'string', default: '5' },
    rate: { type: 'string', default: '1000' },
    hold: { type: 'string', default: '30' },
  },
});
const SIMULATOR = fileURLToPath(new URL('../dist/simulator/main.js', import.meta.url));
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system) and RSS in MiB of a process, from /proc. */
function usage(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return { cpuS, rssMb: rssKb / 1024 };
}

async function waitForPort(port) {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const open = await new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket.end() && true));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`Mosquitto did not listen on ${port}`);
}

async function startBroker() {
  const dir = mkdtempSync(join(tmpdir(), 'sim-bench-'));
  const port = await freePort();
  const conf = rewriteMosquittoConf(readFileSync(defaultMosquittoConfPath(), 'utf8'), {
    port,
    wsPort: await freePort(),
    dataDir: `${dir}/`,
  });
  writeFileSync(join(dir, 'mosquitto.conf'), conf);
  const child = spawn(MOSQUITTO_BINARY, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    port,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function run(devices) {
  const broker = await startBroker();
  const started = performance.now();
  const simulator = spawn(
    process.execPath,
    [
      SIMULATOR,
      '--devices',
      String(devices),
      '--interval',
      values.interval,
      '--rate',
      values.rate,
      '--report',
      '5',
    ],
    {
      env: { PATH: process.env.PATH, MQTT_BROKER: '127.0.0.1', MQTT_PORT: String(broker.port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = [];
  let rest = '';
  simulator.stdout.setEncoding('utf8');
  simulator.stdout.on('data', (chunk) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part));
      } catch {}
    }
  });
  const connected = async () => {
    for (;;) {
      const line = lines.find(
        (entry) => typeof entry.connect_s === 'number' && /^all \d+ devices connected/.test(entry.msg),
      );
      if (line) return line.connect_s;
      if (simulator.exitCode !== null) throw new Error('the simulator exited');
      if (performance.now() - started > 300_000) throw new Error('not all connected within 300 s');
      await sleep(100);
    }
  };
  const connectS = await connected();
  const atConnect = { sim: usage(simulator.pid), broker: usage(broker.pid), rss: usage(simulator.pid).rssMb };
  const t0 = performance.now();
  const from = lines.length;
  await sleep(Number(values.hold) * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const sim = usage(simulator.pid);
  const mosquitto = usage(broker.pid);
  // The first line after the connect still counts the statuses of the last devices to connect.
  const progress = lines
    .slice(from)
    .filter((entry) => typeof entry.msg_per_s === 'number' && entry.connected !== undefined)
    .slice(1);
  const stopAt = performance.now();
  simulator.kill('SIGINT');
  const code = await new Promise((resolve) => simulator.once('exit', resolve));
  const stopS = (performance.now() - stopAt) / 1000;
  const summary = lines.find((entry) => /^simulator stopped/.test(entry.msg ?? ''));
  await broker.stop();
  // What the devices' warnings and errors were (those printed: at most 20 per progress line).
  const kinds = {};
  for (const entry of lines.filter((line) => line.level >= 40)) {
    const kind = String(entry.msg).replace(/\d+/g, 'N').slice(0, 90);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return {
    problem_lines_shown: kinds,
    devices,
    connect_s: connectS,
    sim_rss_mb_connected: Math.round(atConnect.rss),
    sim_rss_mb_end: Math.round(sim.rssMb),
    sim_cpu_pct: Math.round(((sim.cpuS - atConnect.sim.cpuS) / seconds) * 100),
    broker_rss_mb: Math.round(mosquitto.rssMb),
    broker_cpu_pct: Math.round(((mosquitto.cpuS - atConnect.broker.cpuS) / seconds) * 100),
    msg_per_s: progress.length
      ? Math.round(progress.reduce((sum, entry) => sum + entry.msg_per_s, 0) / progress.length)
      : null,
    min_connected: progress.length ? Math.min(...progress.map((entry) => entry.connected)) : null,
    problems: summary?.problems ?? null,
    stop_s: Math.round(stopS * 10) / 10,
    exit: code,
  };
}

const list = values.devices.split(',').map(Number);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}; load average before: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
console.log(
  `interval ${values.interval} s, rate ${values.rate} connections/s, hold ${values.hold} s after all connected`,
);
for (const devices of list) {
  const result = await run(devices);
  console.log(JSON.stringify(result));
}
console.log(
  `load average after: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@fleet/cloud';
import { afterEach, describe, expect, it } from 'vitest';
import { repoPath, repoRoot } from './helpers/repo.js';

const LAUNCHER = 'cloud/dist/local/main.js';
const NEEDED = [LAUNCHER, 'edge/dist/main.js', 'dashboard/dist/main.js'];
const missing = NEEDED.filter((path) => !existsSync(repoPath(path)));
const skipReason = missing.length > 0 ? ` (skipped: ${missing.join(', ')} not built; run npm run build)` : '';

interface Launched {
  process: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: Launched[] = [];
const tempDirs: string[] = [];

/**
 * A clean environment: the launcher passes its own on to the children, and vitest's (MODE=test, …) would
 * reach the devices as their settings.
 */
function launcherEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...extra };
}

function launch(args: string[], env: NodeJS.ProcessEnv = launcherEnv()): Launched {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const launched: Launched = {
    process: child,
    stdout: [],
    stderr: [],
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  const collect = (stream: NodeJS.ReadableStream | null, into: string[]) => {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      into.push(...lines);
    });
  };
  collect(child.stdout, launched.stdout);
  collect(child.stderr, launched.stderr);
  running.push(launched);
  return launched;
}

/** The pids the launcher logged for its children ("<name> started"). */
function childPids(lines: string[]): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { service?: string; child?: string; pid?: number; msg?: string };
    if (entry.service === 'local' && entry.child && entry.pid && entry.msg === `${entry.child} started`) {
      pids.set(entry.child, entry.pid);
    }
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timeout = sleep(ms).then(() => {
    throw new Error(`${what} did not happen within ${ms} ms`);
  });
  return Promise.race([promise, timeout]);
}

interface DeviceSummary {
  device_id: string;
  online: boolean;
}

async function onlineDevices(port: number): Promise<string[]> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/devices`);
    if (!response.ok) return [];
    const body = (await response.json()) as { devices: DeviceSummary[] };
    return body.devices.filter((device) => device.online).map((device) => device.device_id);
  } catch {
    return [];
  }
}

afterEach(async () => {
  for (const launched of running.splice(0)) {
    for (const pid of childPids(launched.stdout).values()) {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    if (launched.process.exitCode === null && launched.process.signalCode === null) {
      launched.process.kill('SIGKILL');
      await launched.exited;
    }
  }
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm start (the compiled local launcher)', () => {
  it.skipIf(missing.length > 0)(
    `runs a broker, the dashboard and 2 devices that show online, and stops them all on SIGINT${skipReason}`,
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'fleet-launcher-'));
      tempDirs.push(dataDir);
      const ports = new Set<number>();
      while (ports.size < 3) ports.add(await freePort());
      const [httpPort = 0, mqttPort = 0, wsPort = 0] = [...ports];
      const launched = launch([
        '--devices',
        '2',
        '--port',
        String(httpPort),
        '--mqtt-port',
        String(mqttPort),
        '--ws-port',
        String(wsPort),
        '--data-dir',
        dataDir,
      ]);

      const deadline = Date.now() + 20_000;
      let online: string[] = [];
      while (Date.now() < deadline && online.length < 2) {
        await sleep(250);
        online = await onlineDevices(httpPort);
      }
      const log = [
        ...launched.stderr,
        ...launched.stdout.filter((line) => !line.includes('"level":30')),
      ].join('\n');
      expect(online.sort(), `online devices; launcher output:\n${log}`).toEqual(['sim-001', 'sim-002']);
      expect(launched.stdout).toContain(`  Dashboard    http://localhost:${httpPort}`);
      expect(launched.stdout.some((line) => line.includes(`mqtt://localhost:${mqttPort}`))).toBe(true);
      const pids = childPids(launched.stdout);
      expect([...pids.keys()].sort()).toEqual(['dashboard', 'sim-001', 'sim-002']);

      launched.process.kill('SIGINT');
      const exit = await withTimeout(launched.exited, 15_000, 'the launcher exit after SIGINT');
      expect(exit).toEqual({ code: 0, signal: null });
      expect([...pids.values()].filter(isAlive)).toEqual([]);
      const stopped = launched.stdout.filter((line) =>
        /"msg":"(dashboard|sim-00\d) exited with code 0"/.test(line),
      );
      expect(stopped).toHaveLength(3);
    },
    40_000,
  );

  it.skipIf(missing.length > 0)(
    `stops everything and exits 1 when a part stops by itself${skipReason}`,
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'fleet-launcher-'));
      tempDirs.push(dataDir);
      const ports = new Set<number>();
      while (ports.size < 3) ports.add(await freePort());
      const [httpPort = 0, mqttPort = 0, wsPort = 0] = [...ports];
      // The dashboard refuses HISTORY_DAYS=0 at start-up (one line, exit 1); the launcher must not hang.
      const launched = launch(
        [
          '--port',
          String(httpPort),
          '--mqtt-port',
          String(mqttPort),
          '--ws-port',
          String(wsPort),
          '--data-dir',
          dataDir,
        ],
        launcherEnv({ HISTORY_DAYS: '0' }),
      );
      const exit = await withTimeout(launched.exited, 15_000, 'the launcher exit');
      expect(exit).toEqual({ code: 1, signal: null });
      expect(launched.stderr).toContain('dashboard exited with code 1, so everything was stopped.');
      expect(
        launched.stdout.some((line) => line.startsWith('[dashboard] ') && line.includes('HISTORY_DAYS')),
      ).toBe(true);
      expect([...childPids(launched.stdout).values()].filter(isAlive)).toEqual([]);
    },
    30_000,
  );

  it.skipIf(missing.length > 0)(
    `refuses --devices abc in one sentence and exits 1${skipReason}`,
    async () => {
      const launched = launch(['--devices', 'abc']);
      const exit = await withTimeout(launched.exited, 10_000, 'the launcher exit');
      expect(exit).toEqual({ code: 1, signal: null });
      expect(launched.stderr.filter((line) => line !== '')).toEqual([
        'Option --devices received "abc"; accepted: a whole number from 1 to 100.',
      ]);
      expect(launched.stdout.filter((line) => line !== '')).toEqual([]);
    },
  );
});

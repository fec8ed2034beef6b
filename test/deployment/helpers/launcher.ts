import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoPath, repoRoot } from './repo.js';

/** The compiled `npm start`, run as a new user would: `node cloud/dist/local/main.js`. */
export const LAUNCHER = 'cloud/dist/local/main.js';

/** What the launcher runs that is not built yet, relative to the repository root. */
export function missingBuilds(): string[] {
  return [LAUNCHER, 'edge/dist/main.js', 'dashboard/dist/main.js'].filter(
    (path) => !existsSync(repoPath(path)),
  );
}

export interface Launched {
  process: ChildProcess;
  /** Its output, line by line, as it comes. */
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
export function launcherEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...extra };
}

/** Collects a stream's lines into `into` as they arrive. */
export function collectLines(stream: NodeJS.ReadableStream | null, into: string[]): void {
  let rest = '';
  stream?.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    into.push(...lines);
  });
}

/** Starts the launcher with `args`; `cleanUpLaunched()` kills whatever is left of it. */
export function launch(args: string[], env: NodeJS.ProcessEnv = launcherEnv()): Launched {
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
  collectLines(child.stdout, launched.stdout);
  collectLines(child.stderr, launched.stderr);
  running.push(launched);
  return launched;
}

/** A folder `cleanUpLaunched()` removes. */
export function removeLater(dir: string): string {
  tempDirs.push(dir);
  return dir;
}

/** The pids the launcher logged for its children ("<name> started"). */
export function childPids(lines: string[]): Map<string, number> {
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

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** For afterEach: SIGKILL to every launcher still running and to the children it logged; temp folders go. */
export async function cleanUpLaunched(): Promise<void> {
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
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timeout = sleep(ms).then(() => {
    throw new Error(`${what} did not happen within ${ms} ms`);
  });
  return Promise.race([promise, timeout]);
}

/** The launcher's output without its info lines, to show when an assertion fails. */
export function launcherLog(launched: Launched): string {
  return [...launched.stderr, ...launched.stdout.filter((line) => !line.includes('"level":30'))].join('\n');
}

export interface DeviceSummary {
  device_id: string;
  online: boolean;
  latest: { timestamp: string; temperature: number; seq: number } | null;
}

/** GET /api/devices, or [] while the dashboard does not answer; `headers` carry a session cookie if needed. */
export async function fetchDevices(
  port: number,
  headers: Record<string, string> = {},
): Promise<DeviceSummary[]> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/devices`, { headers });
    if (!response.ok) return [];
    return ((await response.json()) as { devices: DeviceSummary[] }).devices;
  } catch {
    return [];
  }
}

export async function onlineDevices(port: number, headers: Record<string, string> = {}): Promise<string[]> {
  return (await fetchDevices(port, headers))
    .filter((device) => device.online)
    .map((device) => device.device_id);
}

/** Logs in (POST /api/login) and returns the headers that carry the session, or null when refused. */
export async function login(
  port: number,
  username: string,
  password: string,
): Promise<Record<string, string> | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const cookie = response.headers.get('set-cookie')?.split(';')[0];
    return response.status === 204 && cookie ? { cookie } : null;
  } catch {
    return null;
  }
}

/**
 * Asks `probe` every 250 ms until `done` holds, and returns that value; after `timeoutMs` returns the last
 * one, for the caller's assertion to show.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(250);
    value = await probe();
  }
  return value;
}

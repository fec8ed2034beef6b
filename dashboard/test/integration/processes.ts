import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const EDGE_ENTRY = `${repo}edge/dist/main.js`;
export const DASHBOARD_ENTRY = `${repo}dashboard/dist/main.js`;

export const edgeBuilt = () => existsSync(EDGE_ENTRY);
export const dashboardBuilt = () => existsSync(DASHBOARD_ENTRY);

export interface Service {
  child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | string>;
}

/** Calls `onLine` with each whole line of a stream (a chunk may end in the middle of one). */
export function eachLine(
  stream: NodeJS.ReadableStream | null | undefined,
  onLine: (line: string) => void,
): void {
  let rest = '';
  stream?.on('data', (chunk: Buffer | string) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) onLine(line);
  });
  stream?.on('end', () => {
    if (rest.trim()) onLine(rest);
    rest = '';
  });
}

/**
 * Runs a compiled entry point with only `env` (plus PATH and HOME): the test runner's own environment is not
 * passed on, since vitest sets variables such as MODE=test that the services would read as their settings.
 */
export function runService(entry: string, env: Record<string, string>): Service {
  const child = spawn(process.execPath, [entry], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  eachLine(child.stdout, (line) => lines.push(line));
  eachLine(child.stderr, (line) => lines.push(line));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return {
    child,
    lines,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Kills what is still running (after a failed test), without waiting for a clean stop. */
export async function killAll(services: Service[]): Promise<void> {
  await Promise.all(
    services.map(async (service) => {
      if (service.child.exitCode !== null || service.child.signalCode !== null) return;
      service.child.kill('SIGKILL');
      await service.exited;
    }),
  );
}

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled entry point, as the container starts it. */
export const EDGE_MAIN = fileURLToPath(new URL('../../../dist/main.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(EDGE_MAIN)) {
    throw new Error(`${EDGE_MAIN} does not exist: build first with "npx tsc -b edge" (npm test does it).`);
  }
}

export interface EdgeProcess {
  child: ChildProcess;
  /** stdout and stderr, line by line, in arrival order. */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once a log line's msg matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends SIGKILL unless it already exited. */
  kill(): Promise<void>;
}

/**
 * Runs `node edge/dist/main.js` with exactly `env` (plus PATH): nothing from the test's own environment
 * leaks in.
 */
export function spawnEdge(env: Record<string, string>): EdgeProcess {
  const child = spawn(process.execPath, [EDGE_MAIN], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line.trim() !== ''));
      for (const wake of waiters) wake();
    });
    stream?.on('end', () => {
      if (rest.trim() !== '') lines.push(rest);
      rest = '';
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });

  const waitForLog = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find((text) => {
          try {
            return pattern.test(String((JSON.parse(text) as { msg?: unknown }).msg));
          } catch {
            return false;
          }
        });
        if (!line) return;
        cleanup();
        resolve(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`No log line matching ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const kill = async () => {
    if (done) return;
    child.kill('SIGKILL');
    await exited;
  };
  return { child, lines, exited, waitForLog, kill };
}

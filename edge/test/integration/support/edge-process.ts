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
  /** Resolves with the first JSON line (old or new) that `match` accepts. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<string>;
  /** Sends SIGKILL unless it already exited. */
  kill(): Promise<void>;
}

/**
 * Runs `node edge/dist/main.js` with exactly `env` (plus PATH): nothing from the test's own environment
 * leaks in.
 */
export function spawnEdge(env: Record<string, string>): EdgeProcess {
  return spawnNode([EDGE_MAIN], env);
}

/** Runs `node <args>` with exactly `env` (plus PATH), collecting its output line by line. */
export function spawnNode(args: string[], env: Record<string, string> = {}): EdgeProcess {
  const child = spawn(process.execPath, args, {
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

  const waitForLine = (
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
    what = 'matching',
  ) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find((text) => {
          try {
            return match(JSON.parse(text) as Record<string, unknown>);
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
        reject(new Error(`No line ${what} within ${timeoutMs} ms:\n${lines.join('\n')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const waitForLog = (pattern: RegExp, timeoutMs = 10_000) =>
    waitForLine((line) => pattern.test(String(line.msg)), timeoutMs, `whose msg matches ${pattern}`);

  const kill = async () => {
    if (done) return;
    child.kill('SIGKILL');
    await exited;
  };
  return { child, lines, exited, waitForLog, waitForLine, kill };
}

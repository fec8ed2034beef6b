import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The compiled entries the image runs (npm run build makes them). */
export const BROKER_MAIN = fileURLToPath(new URL('../dist/broker/main.js', import.meta.url));
export const BROKER_HEALTHCHECK = fileURLToPath(new URL('../dist/broker/healthcheck.js', import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  component?: string;
  [field: string]: unknown;
}

/** A run of the broker's main.js: its JSON log lines as they come, and its exit. */
export class BrokerProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly raw: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(env: NodeJS.ProcessEnv, script = BROKER_MAIN) {
    this.child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete.filter(Boolean)) {
        this.raw.push(line);
        this.lines.push(JSON.parse(line) as LogLine);
      }
      for (const wake of this.waiters) wake();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.raw.push(`stderr: ${chunk}`));
    // 'close', not 'exit': every line it wrote has been read by then.
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const wake of this.waiters) wake();
    });
  }

  /** The first log line that matches; rejects, with the output so far, if the process exits first. */
  line(matches: (line: LogLine) => boolean): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.find(matches);
        if (found) {
          this.waiters.delete(check);
          resolve(found);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          this.waiters.delete(check);
          reject(new Error(`The broker exited before the line came. Its output:\n${this.raw.join('\n')}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The pid of the Mosquitto it runs (its only child). */
  async mosquittoPid(): Promise<number> {
    const pid = this.child.pid ?? 0;
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return Number(children.trim().split(' ')[0]);
  }

  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

/** Runs a script to its end: exit code and stdout lines. */
export async function runScript(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; lines: LogLine[]; raw: string[] }> {
  const run = new BrokerProcess(env, script);
  const code = await run.exited;
  return { code, lines: run.lines, raw: run.raw };
}

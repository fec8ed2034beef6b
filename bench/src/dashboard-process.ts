import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARD_ENTRY = `${REPO}dashboard/dist/main.js`;

export interface DashboardSettings {
  brokerPort: number;
  httpPort: number;
  dataDir: string;
  clientId: string;
  /** More variables (HISTORY_DAYS, limits…). */
  env?: Record<string, string>;
}

/**
 * The compiled dashboard (`node dashboard/dist/main.js`) as a child process, configured by its environment
 * variables only, logins off on loopback. Its JSON log lines are kept, to wait for one.
 */
export class DashboardProcess {
  readonly lines: string[] = [];
  readonly url: string;
  /** MQTT_CLIENT_ID: its persistent session in the broker. */
  readonly clientId: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | string>;
  private readonly watchers = new Set<(line: string) => void>();

  constructor(settings: DashboardSettings) {
    this.url = `http://127.0.0.1:${settings.httpPort}`;
    this.clientId = settings.clientId;
    this.child = spawn(process.execPath, [DASHBOARD_ENTRY], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        PORT: String(settings.httpPort),
        HOST: '127.0.0.1',
        AUTH: 'off',
        MQTT_BROKER: '127.0.0.1',
        MQTT_PORT: String(settings.brokerPort),
        MQTT_CLIENT_ID: settings.clientId,
        DATA_DIR: settings.dataDir,
        LOG_LEVEL: 'info',
        ...settings.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onLine = (line: string) => {
      if (this.lines.length < 20_000) this.lines.push(line);
      for (const watcher of this.watchers) watcher(line);
    };
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) if (line.trim()) onLine(line);
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('The dashboard process did not start.');
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first log line (already seen or to come) that matches, within `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs: number, what: string): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(watcher);
        reject(
          new Error(
            `The dashboard did not log ${what} within ${timeoutMs / 1000} s. Its last lines:\n${this.tail()}`,
          ),
        );
      }, timeoutMs);
      const watcher = (line: string) => {
        if (!pattern.test(line)) return;
        clearTimeout(timer);
        this.watchers.delete(watcher);
        resolve(line);
      };
      this.watchers.add(watcher);
      void this.exited.then((code) => {
        if (!this.watchers.has(watcher)) return;
        clearTimeout(timer);
        this.watchers.delete(watcher);
        reject(
          new Error(`The dashboard exited (${code}) before logging ${what}. Its last lines:\n${this.tail()}`),
        );
      });
    });
  }

  /** Waits until GET /healthz answers 200 (broker connected, database fine). */
  async healthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`The dashboard exited. Its last lines:\n${this.tail()}`);
      try {
        const response = await fetch(`${this.url}/healthz`);
        last = await response.text();
        if (response.status === 200) return;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`The dashboard was not healthy within ${timeoutMs / 1000} s (${last}).`);
  }

  /** SIGTERM (a clean stop: the dashboard commits what waits), then the exit code. */
  async stop(): Promise<number | string> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Its last log lines, for an error message. */
  tail(count = 15): string {
    return this.lines.slice(-count).join('\n');
  }
}

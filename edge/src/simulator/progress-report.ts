import type { Logger } from '@fleet/shared';
import type { DeviceLogs } from './device-logs.js';
import { type FleetSimulator, type FleetStats, round } from './fleet-simulator.js';

export interface ProgressReportOptions {
  fleet: Pick<FleetSimulator, 'stats' | 'connectSeconds'>;
  logs: Pick<DeviceLogs, 'problems' | 'nextPeriod'>;
  logger: Logger;
  everyMs: number;
  /** Milliseconds from a monotonic clock (default performance.now). */
  now?: () => number;
  /** The process's memory in bytes: resident and JavaScript heap in use (default process.memoryUsage()). */
  memory?: () => { rss: number; heapUsed: number };
}

/**
 * Every `everyMs`, one line: devices connected, messages and readings per second since the last line,
 * problems the devices logged, and the process's memory; `finish()` logs the summary of the whole run.
 */
export class ProgressReport {
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly now: () => number;
  private readonly memory: () => { rss: number; heapUsed: number };
  private startedAt = 0;
  private last = { at: 0, published: 0, delivered: 0 };

  constructor(private readonly options: ProgressReportOptions) {
    this.now = options.now ?? (() => performance.now());
    this.memory = options.memory ?? (() => process.memoryUsage());
  }

  start(): void {
    if (this.timer) return;
    this.startedAt = this.now();
    this.last = { at: this.startedAt, published: 0, delivered: 0 };
    this.timer = setInterval(() => this.report(), this.options.everyMs);
  }

  /** One progress line now. */
  report(): void {
    const stats = this.options.fleet.stats();
    const at = this.now();
    const seconds = Math.max(0.001, (at - this.last.at) / 1000);
    const msgPerS = (stats.published - this.last.published) / seconds;
    const readingsPerS = (stats.delivered - this.last.delivered) / seconds;
    this.last = { at, published: stats.published, delivered: stats.delivered };
    const hidden = this.options.logs.nextPeriod();
    this.options.logger.info(
      {
        ...counts(stats),
        msg_per_s: Math.round(msgPerS),
        readings_per_s: Math.round(readingsPerS),
        problems: this.options.logs.problems,
        device_lines_not_shown: hidden,
        ...this.memoryMb(),
      },
      `${stats.connected}/${stats.devices} connected, ${Math.round(msgPerS)} msg/s (${Math.round(readingsPerS)} readings/s), ${this.options.logs.problems} problems${hidden > 0 ? ` (${hidden} device lines not shown)` : ''}`,
    );
  }

  /** Stops the lines and logs the summary of the run (call once the devices are stopped). */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const stats = this.options.fleet.stats();
    const seconds = Math.max(0.001, (this.now() - this.startedAt) / 1000);
    const connectS = this.options.fleet.connectSeconds;
    this.options.logger.info(
      {
        ...counts(stats),
        run_s: round(seconds, 1),
        connect_s: connectS === null ? null : round(connectS, 2),
        msg_per_s: Math.round(stats.published / seconds),
        problems: this.options.logs.problems,
        ...this.memoryMb(),
      },
      `simulator stopped after ${round(seconds, 1)} s: ${stats.published} messages (${stats.delivered} readings) acknowledged by the broker, ${this.options.logs.problems} problems; ${connectS === null ? `never all ${stats.devices} connected at once` : `all ${stats.devices} connected ${round(connectS, 1)} s after the start`}`,
    );
  }

  private memoryMb() {
    const { rss, heapUsed } = this.memory();
    return { rss_mb: Math.round(rss / 2 ** 20), heap_mb: Math.round(heapUsed / 2 ** 20) };
  }
}

function counts(stats: FleetStats) {
  return {
    devices: stats.devices,
    started: stats.started,
    connected: stats.connected,
    published: stats.published,
    delivered: stats.delivered,
    queued: stats.queued,
    dropped: stats.dropped,
  };
}

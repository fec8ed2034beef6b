import { type Logger, pino } from 'pino';

/** pino's numeric level of warn. */
const WARN = 40;

export interface DeviceLogsOptions {
  /** Device lines printed at most per period (see `nextPeriod()`); the others are counted. */
  linesPerPeriod: number;
  /** Called once, on the first device line about running out of file descriptors (EMFILE). */
  onEmfile?: () => void;
}

/**
 * The log of every simulated device: pino JSON lines like the services' (`service: simulator`, with each
 * device's `device_id`), warnings and errors only. They are counted, and at most `linesPerPeriod` are
 * printed per period, so that a broker going away does not print one line per device.
 */
export class DeviceLogs {
  readonly logger: Logger;
  /** Warning and error lines since start. */
  problems = 0;
  private shown = 0;
  private hidden = 0;
  private emfileSeen = false;

  constructor(private readonly options: DeviceLogsOptions) {
    const logs = this;
    this.logger = pino({
      level: 'warn',
      base: { service: 'simulator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        logMethod(args, method, level) {
          if (level >= WARN) logs.count(args[0]);
          if (logs.admit()) method.apply(this, args);
        },
      },
    });
  }

  /** The logger of one device. */
  forDevice(deviceId: string): Logger {
    return this.logger.child({ device_id: deviceId });
  }

  /** Starts a new period; gives how many device lines the last one did not print. */
  nextPeriod(): number {
    const hidden = this.hidden;
    this.hidden = 0;
    this.shown = 0;
    return hidden;
  }

  private admit(): boolean {
    if (this.shown >= this.options.linesPerPeriod) {
      this.hidden += 1;
      return false;
    }
    this.shown += 1;
    return true;
  }

  private count(first: unknown): void {
    this.problems += 1;
    if (this.emfileSeen || typeof first !== 'object' || first === null) return;
    const { code, err } = first as { code?: unknown; err?: unknown };
    if (code === 'EMFILE' || (typeof err === 'string' && err.includes('EMFILE'))) {
      this.emfileSeen = true;
      this.options.onEmfile?.();
    }
  }
}

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LogLevel } from './env-config.js';
import { createLogger, type Logger } from './logger.js';

/** After a stop signal, a service's process is gone within this time, whatever happens. */
export const HARD_STOP_DEADLINE_MS = 8_000;

/** True when the module at `moduleUrl` is the program node was asked to run (not when it is imported). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(moduleUrl);
  } catch {
    return false;
  }
}

/**
 * The one line a failed start-up gives — a pino fatal line whose msg is the sentence — then exit 1.
 * Nothing else is printed: no stack trace, nothing half-started.
 */
export function exitWithOneLine(service: string, message: string, level: LogLevel = 'info'): never {
  createLogger(service, level === 'silent' ? 'fatal' : level).fatal(message);
  process.exit(1);
}

/** An error nobody caught ends the process with one fatal line, not a stack trace on stderr. */
export function exitOnUncaughtErrors(service: string): void {
  const fail = (reason: unknown) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    createLogger(service, 'fatal').fatal({ err: reason }, `unexpected error: ${message}`);
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

export interface StopSignals {
  /** True once SIGTERM or SIGINT arrived; a start-up still in progress checks it when done. */
  readonly requested: boolean;
}

/**
 * On SIGTERM or SIGINT (balena sends SIGTERM before an update), calls `stop` and exits 0 when it
 * resolves, 1 when it fails or takes longer than `deadlineMs`. `stop` gives undefined while nothing
 * is running yet: the start-up then sees `requested` and stops what it started.
 */
export function exitOnStopSignals(
  logger: Logger,
  stop: () => Promise<void> | undefined,
  deadlineMs = HARD_STOP_DEADLINE_MS,
): StopSignals {
  const state = { requested: false };
  const onSignal = (signal: NodeJS.Signals) => {
    if (state.requested) {
      logger.info({ signal }, 'already stopping');
      return;
    }
    state.requested = true;
    logger.info({ signal }, 'stop signal received; stopping');
    setTimeout(() => {
      logger.error({ deadline_ms: deadlineMs }, 'did not stop in time; exiting anyway');
      process.exit(1);
    }, deadlineMs).unref();
    stop()?.then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return state;
}

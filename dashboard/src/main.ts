import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, createLogger, type LogLevel } from '@fleet/shared';
import { type DashboardConfig, loadDashboardConfig } from './config.js';
import { type RunningDashboard, startDashboard } from './dashboard.js';

const SERVICE = 'dashboard';
/** After a stop signal, the process is gone within this time, whatever happens. */
export const HARD_STOP_DEADLINE_MS = 8_000;

/** One pino fatal line whose msg is the sentence, then exit 1: nothing else printed, nothing left started. */
function exitWithOneLine(message: string, level: LogLevel = 'info'): never {
  createLogger(SERVICE, level === 'silent' ? 'fatal' : level).fatal(message);
  process.exit(1);
}

/**
 * `node dashboard/dist/main.js`: reads the environment, starts the dashboard, and on SIGTERM/SIGINT closes
 * HTTP, disconnects from the broker, writes queued telemetry, closes the database and exits 0.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: DashboardConfig;
  try {
    config = loadDashboardConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) exitWithOneLine(error.message);
    throw error;
  }
  const logger = createLogger(SERVICE, config.logLevel);
  let running: RunningDashboard | null = null;
  let stopRequested = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) return;
    stopRequested = true;
    logger.info({ signal }, 'Stop signal received; stopping');
    setTimeout(() => {
      logger.error({ deadline_ms: HARD_STOP_DEADLINE_MS }, 'Did not stop in time; exiting anyway');
      process.exit(1);
    }, HARD_STOP_DEADLINE_MS).unref();
    if (!running) return; // start-up is in progress: it exits once done
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'Error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    running = await startDashboard(config, { logger });
  } catch (error) {
    exitWithOneLine(`The dashboard could not start: ${(error as Error).message}`, config.logLevel);
  }
  if (stopRequested) {
    await running.stop();
    process.exit(0);
  }
}

/** True when this file is the program node was asked to run (not when it is imported). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.on('uncaughtException', (error) => {
    createLogger(SERVICE, 'fatal').fatal({ err: error }, `Unexpected error: ${error.message}`);
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    createLogger(SERVICE, 'fatal').fatal({ err: reason }, `Unexpected error: ${message}`);
    process.exit(1);
  });
  void main();
}

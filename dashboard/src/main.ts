import {
  ConfigError,
  createLogger,
  exitOnStopSignals,
  exitOnUncaughtErrors,
  exitWithOneLine,
  isEntryPoint,
} from '@fleet/shared';
import { type DashboardConfig, loadDashboardConfig } from './config.js';
import { type RunningDashboard, startDashboard } from './dashboard.js';

const SERVICE = 'dashboard';

/**
 * `node dashboard/dist/main.js`: reads the environment, starts the dashboard, and on SIGTERM/SIGINT closes
 * HTTP, disconnects from the broker, writes queued telemetry, closes the database and exits 0.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: DashboardConfig;
  try {
    config = loadDashboardConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) exitWithOneLine(SERVICE, error.message);
    throw error;
  }
  const logger = createLogger(SERVICE, config.logLevel);
  let running: RunningDashboard | null = null;
  const signals = exitOnStopSignals(logger, () => running?.stop());

  try {
    running = await startDashboard(config, { logger });
  } catch (error) {
    exitWithOneLine(SERVICE, `The dashboard could not start: ${(error as Error).message}`, config.logLevel);
  }
  if (signals.requested) {
    await running.stop();
    process.exit(0);
  }
}

if (isEntryPoint(import.meta.url)) {
  exitOnUncaughtErrors(SERVICE);
  void main();
}

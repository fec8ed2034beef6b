import {
  ConfigError,
  createLogger,
  EnvFileError,
  environmentWithFile,
  exitOnStopSignals,
  exitOnUncaughtErrors,
  exitWithOneLine,
  fleetRoleVar,
  isEntryPoint,
  loadEnvConfig,
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
    // On a device that only runs the edge, stop before anything else (ENV_FILE would never be written).
    const { fleetRole } = loadEnvConfig({ fleetRole: fleetRoleVar }, env);
    if (fleetRole === 'edge') {
      createLogger(SERVICE, 'info').info(
        { fleet_role: fleetRole },
        'FLEET_ROLE=edge: this device runs only the edge; the dashboard stays stopped (it runs on the hub or the central server).',
      );
      process.exit(0);
    }
    const withFile = await environmentWithFile(env, {
      onWaiting: (path) =>
        createLogger(SERVICE, 'info').warn(
          `waiting for ENV_FILE ${path} to exist (the broker service writes it when it starts)`,
        ),
    });
    config = loadDashboardConfig(withFile);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof EnvFileError)
      exitWithOneLine(SERVICE, error.message);
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

import { realpathSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  createLogger,
  describeEnvConfig,
  type Logger,
  type LogLevel,
  systemClock,
} from '@fleet/shared';
import { type EdgeConfig, edgeEnvSpec, loadEdgeConfig } from './config.js';
import type { Device } from './device/device.js';
import { openDevice } from './device/open-device.js';
import { createAlertLed } from './gpio/alert-led.js';
import { SensorUnavailableError } from './sensor/errors.js';
import { selectSensor } from './sensor/select-sensor.js';

const SERVICE = 'edge';
/** After a stop signal, the process is gone within this time, whatever happens. */
export const HARD_STOP_DEADLINE_MS = 8_000;

/**
 * Prints the one line a failed start-up gives — a pino fatal line whose msg is the sentence — and exits
 * with 1. Nothing else is printed: no stack trace, nothing half-started.
 */
function exitWithOneLine(message: string, level: LogLevel = 'info'): never {
  createLogger(SERVICE, level === 'silent' ? 'fatal' : level).fatal(message);
  process.exit(1);
}

function startupFailure(error: unknown, level?: LogLevel): never {
  if (error instanceof ConfigError || error instanceof SensorUnavailableError)
    exitWithOneLine(error.message, level);
  const message = error instanceof Error ? error.message : String(error);
  exitWithOneLine(`The edge service could not start: ${message}`, level);
}

/**
 * The edge service: reads the configuration from the environment, picks the sensor and the LED, opens
 * the device state and the outbox, and runs the device until SIGTERM or SIGINT.
 */
export async function main(env: NodeJS.ProcessEnv = process.env, hostname = osHostname()): Promise<void> {
  let config: EdgeConfig;
  try {
    config = loadEdgeConfig(env, hostname);
  } catch (error) {
    startupFailure(error);
  }
  const logger = createLogger(SERVICE, config.logLevel, { device_id: config.deviceId });
  const clock = systemClock;

  let device: Device | null = null;
  let stopRequested = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      logger.info({ signal }, 'already stopping');
      return;
    }
    stopRequested = true;
    logger.info({ signal }, 'stop signal received; stopping');
    const hardStop = setTimeout(() => {
      logger.error({ deadline_ms: HARD_STOP_DEADLINE_MS }, 'did not stop in time; exiting anyway');
      process.exit(1);
    }, HARD_STOP_DEADLINE_MS);
    hardStop.unref();
    if (!device) process.exit(0);
    device.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    const reader = await selectSensor({
      sensor: config.sensor,
      bus: config.i2cBus,
      address: config.i2cAddress,
      tempOffset: config.tempOffset,
      clock,
      logger,
    });
    const led = await createAlertLed({ bcmPin: config.alertLedGpio, logger });
    const opened = await openDevice({ config, logger, clock, reader, led });
    device = opened.device;
    logStartup(logger, config, opened, reader, led.description);
  } catch (error) {
    startupFailure(error, config.logLevel);
  }
  if (stopRequested) {
    process.exit(0);
  }
  device.start();
}

function logStartup(
  logger: Logger,
  config: EdgeConfig,
  opened: Awaited<ReturnType<typeof openDevice>>,
  reader: { source: string; bus: number | null; address: string | null },
  led: string,
): void {
  const { startup } = opened;
  logger.info(
    {
      sensor: { source: reader.source, bus: reader.bus, address: reader.address },
      broker: `${config.mqttBroker}:${config.mqttPort}`,
      led,
      data_dir: config.dataDir,
      firmware: startup.firmware,
      settings: startup.settings,
      seq_next: startup.seqNext,
      outbox_queued: opened.outbox.size,
      overridden_by_env: startup.overriddenByEnv,
      env: describeEnvConfig(edgeEnvSpec, config),
    },
    `edge ${config.deviceId}: ${reader.source} sensor, broker ${config.mqttBroker}:${config.mqttPort}, LED ${led}, data in ${config.dataDir}`,
  );
  if (startup.overriddenByEnv.length > 0) {
    logger.info(
      { overridden_by_env: startup.overriddenByEnv },
      `persisted values replaced by changed environment variables: ${startup.overriddenByEnv.join(', ')}`,
    );
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
    createLogger(SERVICE, 'fatal').fatal({ err: error }, `unexpected error: ${error.message}`);
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    createLogger(SERVICE, 'fatal').fatal({ err: reason }, `unexpected error: ${message}`);
    process.exit(1);
  });
  void main();
}

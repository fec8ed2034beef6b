import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import {
  brokerLabel,
  ConfigError,
  createLogger,
  describeEnvConfig,
  EnvFileError,
  environmentWithFile,
  exitOnStopSignals,
  exitOnUncaughtErrors,
  exitWithOneLine,
  isEntryPoint,
  type Logger,
  type LogLevel,
} from '@fleet/shared';
import { ClockFloor, LAST_SYNCED_FILE } from './clock/clock-floor.js';
import { SystemDeviceClock } from './clock/system-device-clock.js';
import { type EdgeConfig, edgeEnvSpec, loadEdgeConfig } from './config.js';
import type { Device } from './device/device.js';
import { openDevice } from './device/open-device.js';
import { createAlertLed } from './gpio/alert-led.js';
import { SensorUnavailableError } from './sensor/errors.js';
import { selectSensor, sensorSearch } from './sensor/select-sensor.js';
import { SENSOR_SEARCH_PERIOD_MS } from './sensor/sensor-search.js';

const SERVICE = 'edge';

function startupFailure(error: unknown, level?: LogLevel): never {
  if (
    error instanceof ConfigError ||
    error instanceof SensorUnavailableError ||
    error instanceof EnvFileError
  )
    exitWithOneLine(SERVICE, error.message, level);
  const message = error instanceof Error ? error.message : String(error);
  exitWithOneLine(SERVICE, `The edge service could not start: ${message}`, level);
}

/**
 * The edge service: reads the configuration from the environment, picks the sensor and the LED, opens
 * the device state and the outbox, and runs the device until SIGTERM or SIGINT.
 */
export async function main(env: NodeJS.ProcessEnv = process.env, hostname = osHostname()): Promise<void> {
  let config: EdgeConfig;
  try {
    const withFile = await environmentWithFile(env, {
      onWaiting: (path) => createLogger(SERVICE, 'info').warn(`waiting for ENV_FILE ${path} to exist`),
    });
    config = loadEdgeConfig(withFile, hostname);
  } catch (error) {
    startupFailure(error);
  }
  const logger = createLogger(SERVICE, config.logLevel, { device_id: config.deviceId });
  const clock = new SystemDeviceClock({
    source: config.clockSyncSource,
    floor: new ClockFloor({
      file: join(config.dataDir, LAST_SYNCED_FILE),
      logger: logger.child({ component: 'clock' }),
    }),
    logger,
  });

  let device: Device | null = null;
  const signals = exitOnStopSignals(logger, () => device?.stop().then(() => clock.stop()));

  try {
    const sensorOptions = { sensor: config.sensor, bus: config.i2cBus, address: config.i2cAddress, logger };
    const reader = await selectSensor({ ...sensorOptions, clock });
    const search = sensorSearch(sensorOptions, reader);
    const led = await createAlertLed({ bcmPin: config.alertLedGpio, logger });
    const opened = await openDevice({ config, logger, clock, reader, search, led });
    device = opened.device;
    logStartup(logger, config, opened, reader, led.description, search !== null);
    // The retained status says whether the clock is synchronised: published again when that changes.
    clock.onChange(() => opened.device.publishStatus());
    await clock.start();
  } catch (error) {
    startupFailure(error, config.logLevel);
  }
  if (signals.requested) {
    await device.stop();
    await clock.stop();
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
  searching: boolean,
): void {
  const { startup, epoch, outbox } = opened.store;
  logger.info(
    {
      sensor: {
        source: reader.source,
        bus: reader.bus,
        address: reader.address,
        search_every_s: searching ? SENSOR_SEARCH_PERIOD_MS / 1000 : null,
      },
      broker: brokerLabel(config.mqtt),
      mqtt_user: config.mqtt.username,
      topic_root: config.topicRoot,
      led,
      data_dir: config.dataDir,
      firmware: startup.firmware,
      settings: startup.settings,
      database: `${opened.store.path} (${opened.store.condition})`,
      epoch: epoch.epoch,
      epoch_reason: epoch.reason,
      seq_next: outbox.seqNext,
      outbox_queued: outbox.size,
      overridden_by_env: startup.overriddenByEnv,
      env: describeEnvConfig(edgeEnvSpec, config),
    },
    `edge ${config.deviceId}: ${reader.source} sensor, broker ${brokerLabel(config.mqtt)}${config.mqtt.username ? ` as ${config.mqtt.username}` : ''}, topics ${config.topicRoot}/${config.deviceId}/…, LED ${led}, data in ${config.dataDir}`,
  );
  if (startup.overriddenByEnv.length > 0) {
    logger.info(
      { overridden_by_env: startup.overriddenByEnv },
      `persisted values replaced by changed environment variables: ${startup.overriddenByEnv.join(', ')}`,
    );
  }
}

if (isEntryPoint(import.meta.url)) {
  exitOnUncaughtErrors(SERVICE);
  void main();
}

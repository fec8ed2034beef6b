import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import {
  brokerLabel,
  ConfigError,
  createLogger,
  type DeviceCredentialLine,
  DeviceCredentialsError,
  describeEnvConfig,
  EnvFileError,
  environmentWithFile,
  exitOnStopSignals,
  exitOnUncaughtErrors,
  exitWithOneLine,
  isEntryPoint,
  type MqttTransportOptions,
  mqttTransportOptions,
  numberedDeviceIds,
  parseDeviceCredentials,
  Topics,
} from '@fleet/shared';
import { DEFAULT_FIRMWARE_VERSION } from '../config.js';
import { NO_CALIBRATION } from '../device/settings.js';
import { DeviceLogs } from './device-logs.js';
import { fdLimitAdvice, fitsUnder, openFileLimit } from './fd-limit.js';
import { FleetSimulator } from './fleet-simulator.js';
import {
  DEVICE_LINES_PER_REPORT,
  parseSimulatorArgs,
  SIMULATOR_USAGE,
  type SimulatorOptions,
} from './options.js';
import { ProgressReport } from './progress-report.js';
import { loadSimulatorEnv, type SimulatorEnv, simulatorEnvSpec } from './simulator-env.js';

const SERVICE = 'simulator';
/** Stopping thousands of devices (each says goodbye) may take longer than a service's 8 s. */
const STOP_DEADLINE_MS = 30_000;
/**
 * How long one device's goodbye (`offline`, then DISCONNECT) may take: the edge's 3 s is meant for one device,
 * and here thousands go out at once through one event loop.
 */
const LINK_STOP_TIMEOUT_MS = 20_000;

/**
 * `npm run simulate`: a fleet of simulated devices in this process, until SIGINT or SIGTERM; then each device
 * says goodbye and disconnects, and a summary is logged.
 */
export async function main(
  argv = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const args = parseSimulatorArgs(argv);
  if (args.kind === 'help') {
    process.stdout.write(`${SIMULATOR_USAGE}\n`);
    return;
  }
  if (args.kind === 'error') exitWithOneLine(SERVICE, args.error);
  const options = args.options;
  let config: SimulatorEnv;
  let transportFor: (deviceId: string) => MqttTransportOptions;
  try {
    config = loadSimulatorEnv(
      await environmentWithFile(env, {
        onWaiting: (path) => createLogger(SERVICE, 'info').warn(`waiting for ENV_FILE ${path} to exist`),
      }),
    );
    transportFor = await deviceTransports(options, config);
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof DeviceCredentialsError ||
      error instanceof EnvFileError
    ) {
      exitWithOneLine(SERVICE, error.message);
    }
    exitWithOneLine(SERVICE, `The simulator could not start: ${(error as Error).message}`);
  }
  const logger = createLogger(SERVICE, config.logLevel);
  const limit = openFileLimit();
  const advice = () => fdLimitAdvice(limit, options.devices);
  if (!fitsUnder(limit, options.devices)) logger.warn({ open_files_limit: limit }, advice());
  const logs = new DeviceLogs({
    linesPerPeriod: DEVICE_LINES_PER_REPORT,
    onEmfile: () =>
      logger.error({ open_files_limit: limit }, `A device ran out of file descriptors (EMFILE). ${advice()}`),
  });
  const fleet = new FleetSimulator({
    ids: numberedDeviceIds(options),
    topics: new Topics(config.topicRoot),
    transportFor,
    settings: {
      mode: 'auto',
      intervalle: options.interval,
      seuil_alerte: 30,
      actif: true,
      ...NO_CALIBRATION,
    },
    firmware: DEFAULT_FIRMWARE_VERSION,
    rate: options.rate,
    logger,
    deviceLogger: (id) => logs.forDevice(id),
    link: { stopTimeoutMs: LINK_STOP_TIMEOUT_MS },
  });
  const report = new ProgressReport({ fleet, logs, logger, everyMs: options.reportEvery * 1000 });
  logger.info(
    {
      options,
      broker: brokerLabel(config.mqtt),
      logins: options.credentials
        ? `one per device, from ${options.credentials}`
        : (config.mqtt.username ?? 'anonymous'),
      open_files_limit: limit,
      env: describeEnvConfig(simulatorEnvSpec, config),
    },
    `simulating ${options.devices} devices (${numberedDeviceIds(options)[0]}…) against ${brokerLabel(config.mqtt)}, a reading every ${options.interval} s each`,
  );
  exitOnStopSignals(
    logger,
    async () => {
      await fleet.stop();
      report.finish();
    },
    STOP_DEADLINE_MS,
  );
  report.start();
  fleet.start();
}

/** Each device's transport: the broker of the environment, with the device's own login from --credentials. */
async function deviceTransports(
  options: SimulatorOptions,
  config: SimulatorEnv,
): Promise<(deviceId: string) => MqttTransportOptions> {
  const base = sharedTlsContext(await mqttTransportOptions(config.mqtt));
  if (!options.credentials) return () => base;
  const path = options.credentials;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DeviceCredentialsError(
      `Option --credentials received ${JSON.stringify(path)}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); accepted: a readable file of device_id,username,password lines.`,
    );
  }
  const credentials = parseDeviceCredentials(text, path);
  const ids = numberedDeviceIds(options);
  const missing = ids.filter((id) => !credentials.has(id));
  if (missing.length > 0) {
    const others = missing.length > 1 ? ` and ${missing.length - 1} other simulated devices` : '';
    throw new DeviceCredentialsError(
      `${path} has no credential for device ${missing[0]}${others}; accepted: a line for each of ${ids[0]}…${ids.at(-1)} (npm run fleet -- device add-many makes them).`,
    );
  }
  return (deviceId) => {
    const { username, password } = credentials.get(deviceId) as DeviceCredentialLine;
    return { ...base, username, password };
  };
}

/**
 * One TLS context with the broker's CA for every device, instead of one per connection made from the `ca` text
 * (about 20 KiB of RSS each, measured with 1 000 devices). DeviceLink hands its transport to mqtt.js, which hands it to tls.connect().
 */
function sharedTlsContext(transport: MqttTransportOptions): MqttTransportOptions {
  if (transport.protocol !== 'mqtts' || transport.ca === undefined) return transport;
  const { ca, ...rest } = transport;
  const withContext: MqttTransportOptions & { secureContext: SecureContext } = {
    ...rest,
    secureContext: createSecureContext({ ca }),
  };
  return withContext;
}

if (isEntryPoint(import.meta.url)) {
  exitOnUncaughtErrors(SERVICE);
  void main();
}

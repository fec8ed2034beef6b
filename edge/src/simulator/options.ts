import { parseArgs } from 'node:util';
import {
  DEVICE_ID_ACCEPTED,
  describeArgsError,
  INTERVAL_MAX_S,
  INTERVAL_MIN_S,
  isValidDeviceId,
  numberedDeviceId,
} from '@fleet/shared';

export interface SimulatorOptions {
  /** How many devices: <prefix><first>, <prefix><first + 1>, … */
  devices: number;
  /** Seconds between a device's readings (its `intervalle`, as PUBLISH_INTERVAL). */
  interval: number;
  /** The start of every device id. */
  prefix: string;
  /** The number of the first device. */
  first: number;
  /** Connections started per second. */
  rate: number;
  /** Seconds between two progress lines. */
  reportEvery: number;
  /** The device credentials file (device_id,username,password), for a broker that wants one per device. */
  credentials: string | null;
}

export type SimulatorArgs =
  | { kind: 'run'; options: SimulatorOptions }
  | { kind: 'help' }
  | { kind: 'error'; error: string };

export const MAX_SIMULATED_DEVICES = 50_000;
/** Device log lines printed at most per progress line. */
export const DEVICE_LINES_PER_REPORT = 20;
export const SIMULATOR_DEFAULTS = {
  devices: 10,
  interval: 5,
  prefix: 'sim-',
  first: 1,
  rate: 500,
  reportEvery: 5,
} as const;

export const SIMULATOR_USAGE = `Usage: npm run simulate -- [options]    (or: node edge/dist/simulator/main.js [options])

Runs a fleet of simulated devices in one process: each is the edge's own device logic (readings with epoch
and seq, status and availability, commands with their acks, OTA updates) with the synthetic sensor, no LED
and its state in memory, and its own MQTT client and persistent session (client id edge-<id>).

Options:
  --devices N       how many devices, 1 to ${MAX_SIMULATED_DEVICES} (default ${SIMULATOR_DEFAULTS.devices})
  --interval S      seconds between a device's readings, ${INTERVAL_MIN_S} to ${INTERVAL_MAX_S} (default ${SIMULATOR_DEFAULTS.interval})
  --prefix TEXT     start of the device ids (default ${SIMULATOR_DEFAULTS.prefix}): ${SIMULATOR_DEFAULTS.prefix}00001, ${SIMULATOR_DEFAULTS.prefix}00002, …
  --first N         number of the first device (default ${SIMULATOR_DEFAULTS.first}), to split a fleet between processes
  --rate N          connections started per second, 1 to 10000 (default ${SIMULATOR_DEFAULTS.rate})
  --report S        seconds between two progress lines, 1 to 3600 (default ${SIMULATOR_DEFAULTS.reportEvery})
  --credentials FILE  a credential per device (device_id,username,password lines), for the production
                    broker: npm run fleet -- device add-many --devices N --out FILE
  --help            this text

Environment (read as the edge reads them):
  MQTT_BROKER (default localhost here), MQTT_PORT, MQTT_TLS, MQTT_CA_CERT, MQTT_TLS_SERVERNAME,
  MQTT_USERNAME and MQTT_PASSWORD (one login for every device, when there is no --credentials),
  MQTT_TOPIC_ROOT, LOG_LEVEL (the simulator's lines; the devices log only warnings and errors,
  at most ${DEVICE_LINES_PER_REPORT} lines per progress line), ENV_FILE (a file of NAME=value lines under the
  environment, e.g. the production broker's client.env).`;

const OPTION_NAMES = ['devices', 'interval', 'prefix', 'first', 'rate', 'report', 'credentials', 'help'];

/** Reads the command line; each bad option gives one sentence naming it, the value and what is accepted. */
export function parseSimulatorArgs(argv: readonly string[]): SimulatorArgs {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    return { kind: 'error', error: describeArgsError(error as Error, OPTION_NAMES) };
  }
  if (values.help) return { kind: 'help' };
  try {
    const devices = integer(
      '--devices',
      values.devices,
      SIMULATOR_DEFAULTS.devices,
      1,
      MAX_SIMULATED_DEVICES,
    );
    const first = integer('--first', values.first, SIMULATOR_DEFAULTS.first, 0, 99_999_999);
    const prefix = values.prefix ?? SIMULATOR_DEFAULTS.prefix;
    for (const number of [first, first + devices - 1]) {
      const id = numberedDeviceId({ prefix, devices, first }, number);
      if (!isValidDeviceId(id)) {
        throw new OptionError(
          `Option --prefix received ${JSON.stringify(prefix)}, which makes device id ${JSON.stringify(id)}; accepted: a prefix that makes ${DEVICE_ID_ACCEPTED}.`,
        );
      }
    }
    const credentials = values.credentials ?? null;
    if (credentials !== null && credentials.trim() === '') {
      throw new OptionError(
        `Option --credentials received ${JSON.stringify(credentials)}; accepted: a file path.`,
      );
    }
    return {
      kind: 'run',
      options: {
        devices,
        first,
        prefix,
        interval: integer(
          '--interval',
          values.interval,
          SIMULATOR_DEFAULTS.interval,
          INTERVAL_MIN_S,
          INTERVAL_MAX_S,
        ),
        rate: integer('--rate', values.rate, SIMULATOR_DEFAULTS.rate, 1, 10_000),
        reportEvery: integer('--report', values.report, SIMULATOR_DEFAULTS.reportEvery, 1, 3600),
        credentials,
      },
    };
  } catch (error) {
    if (error instanceof OptionError) return { kind: 'error', error: error.message };
    throw error;
  }
}

class OptionError extends Error {}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(
      `Option ${name} received ${JSON.stringify(raw)}; accepted: a whole number from ${min} to ${max}.`,
    );
  }
  return value;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      devices: { type: 'string' },
      interval: { type: 'string' },
      prefix: { type: 'string' },
      first: { type: 'string' },
      rate: { type: 'string' },
      report: { type: 'string' },
      credentials: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
}

import { parseArgs } from 'node:util';
import { ConfigError, describeArgsError, type EnvValues, envParsers, loadEnvConfig } from '@fleet/shared';

export const MEASUREMENTS = ['ingest', 'latency', 'load', 'history', 'stream', 'fleet'] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

const RATES_ACCEPTED =
  'messages per second separated by commas, each a whole number from 1 to 100000, such as 1000,10000';

function parseRates(raw: string): number[] | undefined {
  const parts = raw.split(',').map((part) => part.trim());
  const rates = parts.map(envParsers.integer(1, 100_000));
  return rates.length > 0 && rates.every((rate) => rate !== undefined) ? (rates as number[]) : undefined;
}

/** The sizes of the bench, from the environment: each can be turned down for a quick run. */
export const benchEnvSpec = {
  dataDir: {
    env: 'BENCH_DIR',
    doc: 'Folder of the generated history database, kept and reused by later runs (relative to the repository).',
    default: '.bench-data',
    accepted: 'a folder path',
    parse: envParsers.text,
  },
  backlog: {
    env: 'BENCH_BACKLOG',
    doc: 'Readings queued for the away consumers in the ingest measurement.',
    default: 200_000,
    accepted: 'a whole number from 1000 to 1000000',
    parse: envParsers.integer(1000, 1_000_000),
  },
  rates: {
    env: 'BENCH_RATES',
    doc: 'Publish rates of the latency and load measurements.',
    default: [1000, 10_000],
    accepted: RATES_ACCEPTED,
    parse: parseRates,
  },
  seconds: {
    env: 'BENCH_SECONDS',
    doc: 'Seconds each rate, and the event stream run, are measured (after a warm-up of 3 s).',
    default: 20,
    accepted: 'a whole number of seconds from 3 to 600',
    parse: envParsers.integer(3, 600),
  },
  devices: {
    env: 'BENCH_DEVICES',
    doc: 'Devices publishing in the ingest, latency and load measurements.',
    default: 100,
    accepted: 'a whole number from 1 to 10000',
    parse: envParsers.integer(1, 10_000),
  },
  publishers: {
    env: 'BENCH_PUBLISHERS',
    doc: 'MQTT clients that publish for those devices.',
    default: 8,
    accepted: 'a whole number from 1 to 200',
    parse: envParsers.integer(1, 200),
  },
  historyDevices: {
    env: 'BENCH_HISTORY_DEVICES',
    doc: 'Devices of the generated history (a reading per second each).',
    default: 100,
    accepted: 'a whole number from 1 to 1000',
    parse: envParsers.integer(1, 1000),
  },
  historyDays: {
    env: 'BENCH_HISTORY_DAYS',
    doc: 'Days of the generated history.',
    default: 7,
    accepted: 'a whole number of days from 1 to 60',
    parse: envParsers.integer(1, 60),
  },
  historyQueries: {
    env: 'BENCH_HISTORY_QUERIES',
    doc: 'Timed requests per chart range.',
    default: 30,
    accepted: 'a whole number from 5 to 1000',
    parse: envParsers.integer(5, 1000),
  },
  streamClients: {
    env: 'BENCH_STREAM_CLIENTS',
    doc: 'Event stream clients, each watching its own device, in the stream measurement (as many devices publish, one reading a second each).',
    default: 1000,
    accepted: 'a whole number from 1 to 5000',
    parse: envParsers.integer(1, 5000),
  },
  mosquittoConf: {
    env: 'BENCH_MOSQUITTO_CONF',
    doc: "Mosquitto configuration to run instead of the development profile's (its listeners and persistence folder are replaced, as in tests), to compare a broker setting.",
    default: null as string | null,
    accepted: 'the path of a mosquitto.conf file',
    parse: envParsers.text,
  },
  fleetDevices: {
    env: 'BENCH_FLEET_DEVICES',
    doc: 'Devices of npm run simulate the dashboard follows in the fleet measurement (a reading every 5 s each).',
    default: 10_000,
    accepted: 'a whole number from 1 to 50000',
    parse: envParsers.integer(1, 50_000),
  },
};

export type BenchSizes = EnvValues<typeof benchEnvSpec>;

export interface BenchOptions extends BenchSizes {
  only: Measurement[];
  /** Folder of the results files. */
  out: string;
  help: boolean;
}

export const USAGE = `npm run bench [-- --only ${MEASUREMENTS.join(',')}] [--out bench-results]

Measures the compiled dashboard against Debian's Mosquitto (started on free loopback ports) and prints each
result beside its target; writes bench-results/<time>.json and .md. Sizes come from the environment:
${Object.values(benchEnvSpec)
  .map(
    (variable) =>
      `  ${variable.env.padEnd(22)} ${variable.doc} Default ${Array.isArray(variable.default) ? variable.default.join(',') : variable.default}.`,
  )
  .join('\n')}`;

/** Reads the command line and the environment; a bad one throws a ConfigError with one sentence. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  let values: { only?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { only: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(describeArgsError(error as Error, ['only', 'out', 'help']));
  }
  return {
    ...loadEnvConfig(benchEnvSpec, env),
    only: values.only === undefined ? [...MEASUREMENTS] : parseOnly(values.only),
    out: values.out ?? 'bench-results',
    help: values.help ?? false,
  };
}

function parseOnly(raw: string): Measurement[] {
  const names = raw
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const wrong = names.find((name) => !(MEASUREMENTS as readonly string[]).includes(name));
  if (names.length === 0 || wrong !== undefined) {
    throw new ConfigError(
      `Option --only received ${JSON.stringify(raw)}; accepted: one or more of ${MEASUREMENTS.join(', ')}, separated by commas.`,
    );
  }
  return MEASUREMENTS.filter((name) => names.includes(name));
}

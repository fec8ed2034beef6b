import { parseArgs } from 'node:util';
import { ConfigError, describeArgsError, type LogLevel, logLevelVar } from '@fleet/shared';
import { loadBrokerConfig } from '../broker/config.js';

/** A port to listen on: `explicit` ones must be free; default ones move to the next free port. */
export interface PortChoice {
  port: number;
  explicit: boolean;
}

/** An MQTT broker that already runs (MQTT_BROKER): the launcher then starts none. */
export interface ExternalBroker {
  host: string;
  port: number;
}

export interface LauncherOptions {
  /** Number of simulated devices: sim-001, sim-002, … */
  devices: number;
  /** The dashboard's HTTP port. */
  httpPort: PortChoice;
  /** The broker's MQTT port: the embedded broker's (TCP), or Mosquitto's TLS listener with `secure`. */
  mqttPort: PortChoice;
  /** The embedded broker's MQTT-over-WebSocket port (unused with `secure`). */
  wsPort: PortChoice;
  /** The production profile: Debian's Mosquitto with TLS, a generated CA and a credential per device. */
  secure: boolean;
  /** With `secure`: BROKER_HOSTNAMES, the names devices on other machines use (certificate, env files). */
  brokerHostnames: string[];
  /** MQTT_TOPIC_ROOT: the children read it from the environment; the secure broker's ACLs follow it. */
  topicRoot: string;
  /** HA_DISCOVERY_PREFIX: the dashboard reads it from the environment; the secure broker's ACLs follow it. */
  haDiscoveryPrefix: string;
  /** Address the dashboard and the embedded broker listen on. */
  host: string;
  /** Folder of the dashboard's and the devices' data (relative to the working directory, or absolute). */
  dataDir: string;
  externalBroker: ExternalBroker | null;
  logLevel: LogLevel;
}

export type ArgsResult =
  | { kind: 'run'; options: LauncherOptions }
  | { kind: 'help' }
  | { kind: 'error'; error: string };

export const DEFAULT_DEVICES = 2;
export const MAX_DEVICES = 100;
export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_MQTT_PORT = 1883;
export const DEFAULT_SECURE_MQTT_PORT = 8883;
export const DEFAULT_WS_PORT = 9001;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DATA_DIR = '.data';

export const USAGE = `Usage: npm start -- [options]    (or: node cloud/dist/local/main.js [options])

Runs the whole fleet on this machine without Docker: an MQTT broker, the dashboard and simulated devices.

Options:
  --devices N     simulated devices, 1 to ${MAX_DEVICES} (default ${DEFAULT_DEVICES}): sim-001, sim-002, …
  --port N        dashboard HTTP port (default ${DEFAULT_HTTP_PORT}, or the next free one)
  --mqtt-port N   broker MQTT port (default ${DEFAULT_MQTT_PORT}, ${DEFAULT_SECURE_MQTT_PORT} with --secure, or the next free one)
  --ws-port N     embedded broker WebSocket port (default ${DEFAULT_WS_PORT}, or the next free one)
  --host ADDRESS  address to listen on (default ${DEFAULT_HOST}; 0.0.0.0 for the whole network)
  --data-dir DIR  where the broker, the dashboard and the devices keep their data (default ${DEFAULT_DATA_DIR})
  --secure        the production profile instead of the anonymous broker: Debian's Mosquitto
                  (sudo apt-get install mosquitto), TLS only, a generated CA and a credential per
                  device, written to DIR/secure/ (ca.crt, devices/<id>.env); no WebSocket port; while
                  it runs, npm run fleet -- --data-dir DIR device add|remove|list manages credentials
  --help          this text

Environment:
  MQTT_BROKER     use this broker (host name or IP) instead of starting one; MQTT_PORT is its port
                  (not with --secure)
  MQTT_PORT       port of MQTT_BROKER, or of the broker started here (like --mqtt-port)
  PORT            dashboard HTTP port (like --port)
  LOG_LEVEL       ${logLevelVar.accepted} (default ${logLevelVar.default})
  BROKER_HOSTNAMES  with --secure: names or addresses of this machine that devices elsewhere use,
                  comma-separated; they go into the broker's certificate and the device env files
  Any other variable of the edge or the dashboard (PUBLISH_INTERVAL, ALERT_THRESHOLD, …) is passed on;
  with --secure no MQTT_* variable is: they read how to connect from the files in DIR/secure/.`;

const OPTION_NAMES = ['devices', 'port', 'mqtt-port', 'ws-port', 'host', 'data-dir', 'secure', 'help'];
const PORT_ACCEPTED = 'a port number from 1 to 65535';

class ArgumentError extends Error {}

function parseInteger(raw: string, min: number, max: number): number | undefined {
  if (!/^\s*\d+\s*$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= min && value <= max ? value : undefined;
}

function optionInteger(name: string, raw: string, min: number, max: number, accepted: string): number {
  const value = parseInteger(raw, min, max);
  if (value === undefined) {
    throw new ArgumentError(`Option --${name} received ${JSON.stringify(raw)}; accepted: ${accepted}.`);
  }
  return value;
}

function envPort(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = parseInteger(raw, 1, 65535);
  if (value === undefined) {
    throw new ArgumentError(
      `Environment variable ${name} received ${JSON.stringify(raw)}; accepted: ${PORT_ACCEPTED}.`,
    );
  }
  return value;
}

function portChoice(flag: number | undefined, fromEnv: number | undefined, fallback: number): PortChoice {
  const port = flag ?? fromEnv;
  return port === undefined ? { port: fallback, explicit: false } : { port, explicit: true };
}

/** Reads the command line and the environment; every problem is one sentence naming the option. */
export function parseLauncherArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ArgsResult {
  try {
    return parseOrThrow(argv, env);
  } catch (error) {
    if (error instanceof ArgumentError) return { kind: 'error', error: error.message };
    const code = (error as NodeJS.ErrnoException).code;
    if (code?.startsWith('ERR_PARSE_ARGS'))
      return { kind: 'error', error: describeArgsError(error as Error, OPTION_NAMES) };
    throw error;
  }
}

function parseOrThrow(argv: readonly string[], env: NodeJS.ProcessEnv): ArgsResult {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      devices: { type: 'string' },
      port: { type: 'string' },
      'mqtt-port': { type: 'string' },
      'ws-port': { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      secure: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return { kind: 'help' };

  const flagPort = (name: 'port' | 'mqtt-port' | 'ws-port') => {
    const raw = values[name];
    return raw === undefined ? undefined : optionInteger(name, raw, 1, 65535, PORT_ACCEPTED);
  };
  const devices =
    values.devices === undefined
      ? DEFAULT_DEVICES
      : optionInteger('devices', values.devices, 1, MAX_DEVICES, `a whole number from 1 to ${MAX_DEVICES}`);
  const host = values.host ?? DEFAULT_HOST;
  if (host.trim() === '')
    throw new ArgumentError('Option --host received ""; accepted: an IP address or host name.');
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  if (dataDir.trim() === '')
    throw new ArgumentError('Option --data-dir received ""; accepted: a folder path.');

  const rawLevel = env.LOG_LEVEL?.trim() ? env.LOG_LEVEL : undefined;
  const logLevel = rawLevel === undefined ? logLevelVar.default : logLevelVar.parse(rawLevel);
  if (logLevel === undefined) {
    throw new ArgumentError(
      `Environment variable LOG_LEVEL received ${JSON.stringify(rawLevel)}; accepted: ${logLevelVar.accepted}.`,
    );
  }

  const secure = values.secure === true;
  const mqttPortEnv = envPort(env, 'MQTT_PORT');
  const mqttPort = portChoice(
    flagPort('mqtt-port'),
    mqttPortEnv,
    secure ? DEFAULT_SECURE_MQTT_PORT : DEFAULT_MQTT_PORT,
  );
  const brokerHost = env.MQTT_BROKER?.trim();
  if (secure && brokerHost) {
    throw new ArgumentError(
      `Environment variable MQTT_BROKER received ${JSON.stringify(env.MQTT_BROKER)}; accepted: unset with --secure, which runs its own broker.`,
    );
  }
  let brokerHostnames: string[] = [];
  let topicRoot: string;
  let haDiscoveryPrefix: string;
  try {
    const broker = loadBrokerConfig({
      BROKER_HOSTNAMES: secure ? env.BROKER_HOSTNAMES : undefined,
      MQTT_TOPIC_ROOT: env.MQTT_TOPIC_ROOT,
      HA_DISCOVERY_PREFIX: env.HA_DISCOVERY_PREFIX,
    });
    brokerHostnames = broker.brokerHostnames;
    topicRoot = broker.topicRoot;
    haDiscoveryPrefix = broker.haDiscoveryPrefix;
  } catch (error) {
    if (error instanceof ConfigError) throw new ArgumentError(error.message);
    throw error;
  }
  if (secure && values['ws-port'] !== undefined) {
    throw new ArgumentError(
      'Option --ws-port is not accepted with --secure; the production broker has no WebSocket listener.',
    );
  }
  return {
    kind: 'run',
    options: {
      devices,
      httpPort: portChoice(flagPort('port'), envPort(env, 'PORT'), DEFAULT_HTTP_PORT),
      mqttPort,
      wsPort: portChoice(flagPort('ws-port'), undefined, DEFAULT_WS_PORT),
      secure,
      brokerHostnames,
      topicRoot,
      haDiscoveryPrefix,
      host,
      dataDir,
      externalBroker: brokerHost ? { host: brokerHost, port: mqttPort.port } : null,
      logLevel,
    },
  };
}

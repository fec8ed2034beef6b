import { resolve } from 'node:path';
import {
  type EnvValues,
  envFileVar,
  envParsers,
  fleetRoleVar,
  loadEnvConfig,
  logLevelVar,
  type MqttSettings,
  mqttEnvSpec,
  mqttSettings,
} from '@fleet/shared';

const HOST_PATTERN = /^[A-Za-z0-9.:_-]{1,253}$/;
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** The dashboard's environment variables: the source of the README table and of the start-up check. */
export const dashboardEnvSpec = {
  port: {
    env: 'PORT',
    doc: 'HTTP port of the dashboard (the Docker image sets 80).',
    default: 8080,
    accepted: 'a port number from 1 to 65535',
    parse: envParsers.integer(1, 65535),
  },
  host: {
    env: 'HOST',
    doc: 'Address the HTTP server listens on.',
    default: '0.0.0.0',
    accepted: 'a host name or IP address such as 0.0.0.0 or 127.0.0.1',
    parse: envParsers.matching(HOST_PATTERN),
  },
  ...mqttEnvSpec,
  mqttClientId: {
    env: 'MQTT_CLIENT_ID',
    doc: 'MQTT client id; it keeps the persistent session, so it must be stable and unique in the fleet. Default: dashboard-<random>, made once and kept in DATA_DIR.',
    default: null as string | null,
    accepted: '1 to 128 characters: letters, digits, "_", "." or "-"',
    parse: envParsers.matching(CLIENT_ID_PATTERN),
  },
  dataDir: {
    env: 'DATA_DIR',
    doc: 'Folder of the SQLite database (relative to the working directory; /data in the container).',
    default: '.data/dashboard',
    accepted: 'a folder path',
    parse: envParsers.text,
  },
  historyDays: {
    env: 'HISTORY_DAYS',
    doc: 'Days of telemetry kept; older readings are removed every hour.',
    default: 30,
    accepted: 'a whole number of days from 1 to 3650',
    parse: envParsers.integer(1, 3650),
  },
  logLevel: logLevelVar,
  fleetRole: fleetRoleVar,
  envFile: envFileVar,
};

export type DashboardEnv = EnvValues<typeof dashboardEnvSpec>;

/** The loaded configuration, with the defaults that depend on the machine filled in. */
export interface DashboardConfig extends DashboardEnv {
  /** Where and how to reach the broker (MQTT_* variables, with the port's default resolved). */
  mqtt: MqttSettings;
  /** Absolute path of DATA_DIR. */
  dataDir: string;
  /** `<dataDir>/dashboard.sqlite` */
  databasePath: string;
}

export const DATABASE_FILE = 'dashboard.sqlite';

/** Reads the environment; a bad variable throws the ConfigError sentence and nothing is changed. */
export function loadDashboardConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): DashboardConfig {
  const values = loadEnvConfig(dashboardEnvSpec, env);
  const dataDir = resolve(cwd, values.dataDir);
  return {
    ...values,
    mqtt: mqttSettings(values),
    dataDir,
    databasePath: resolve(dataDir, DATABASE_FILE),
  };
}

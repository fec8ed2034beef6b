import { resolve } from 'node:path';
import {
  ConfigError,
  type EnvValues,
  envFileVar,
  envParsers,
  FIRMWARE_VERSION_PATTERN,
  fleetRoleVar,
  haDiscoveryPrefixVar,
  loadEnvConfig,
  logLevelVar,
  type MqttSettings,
  mqttEnvSpec,
  mqttSettings,
  topicRootVar,
} from '@fleet/shared';
import {
  PASSWORD_ACCEPTED,
  PASSWORD_MAX,
  PASSWORD_MIN,
  USERNAME_ACCEPTED,
  USERNAME_PATTERN,
} from './access/roles.js';
import {
  ALLOWED_HOSTS_ACCEPTED,
  CORS_ORIGINS_ACCEPTED,
  describeTrustProxy,
  type HttpsFiles,
  loadHttpsFiles,
  parseHostList,
  parseOriginList,
  parseTrustProxy,
  TRUST_PROXY_ACCEPTED,
  type TrustProxy,
} from './config-values.js';

export const AUTH_SETTINGS = ['auto', 'on', 'off'] as const;
export type AuthSetting = (typeof AUTH_SETTINGS)[number];

const HOST_PATTERN = /^[A-Za-z0-9.:_-]{1,253}$/;
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** DATABASE_URL: a postgres:// (or postgresql://) URL naming a host and a database. */
function parseDatabaseUrl(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    const ok = (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    return ok && url.pathname.length > 1 ? raw : undefined;
  } catch {
    return undefined;
  }
}
const SHARE_GROUP_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

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
  topicRoot: topicRootVar,
  mqttClientId: {
    env: 'MQTT_CLIENT_ID',
    doc: 'MQTT client id; it keeps the persistent session, so it must be stable and unique in the fleet. Default: dashboard-<random>, made once and kept in DATA_DIR.',
    default: null as string | null,
    accepted: '1 to 128 characters: letters, digits, "_", "." or "-"',
    parse: envParsers.matching(CLIENT_ID_PATTERN),
  },
  mqttShareGroup: {
    env: 'MQTT_SHARE_GROUP',
    doc: 'Replicas: the MQTT shared-subscription group of the dashboards that share one database. Set (the same on every replica), readings and Home Assistant set requests come through $share/<group>/…, each to one replica, which stores or sends it; every replica also takes readings at QoS 0 for its live push, and status, availability and acks plainly. Unset: one dashboard, plain subscriptions.',
    default: null as string | null,
    accepted: '1 to 64 letters, digits, "_", "." or "-"',
    parse: envParsers.matching(SHARE_GROUP_PATTERN),
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    doc: 'PostgreSQL for the readings path: readings, history, rollups, delivery figures and the device registry go there (migrated at start). So do users, tokens, sessions, the command trail, the forgotten devices and failed logins; alerts stay in the SQLite file of DATA_DIR. Unset: everything in SQLite. The password is never logged.',
    default: null as string | null,
    accepted: 'a PostgreSQL URL such as postgres://user:password@host:5432/database (postgresql:// too)',
    parse: parseDatabaseUrl,
    sensitive: true,
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
    doc: 'Days raw telemetry (every reading) and its minute rollups are kept; older ones are removed every hour.',
    default: 30,
    accepted: 'a whole number of days from 1 to 3650',
    parse: envParsers.integer(1, 3650),
  },
  rollupDays: {
    env: 'ROLLUP_DAYS',
    doc: 'Days the hourly rollups of telemetry (min, avg and max per hour, what long charts read) are kept; at least HISTORY_DAYS. Unset: 365, or HISTORY_DAYS when larger.',
    default: null as number | null,
    accepted: 'a whole number of days from 1 to 3650, at least HISTORY_DAYS',
    parse: envParsers.integer(1, 3650),
  },
  maxDevices: {
    env: 'MAX_DEVICES',
    doc: 'Devices the dashboard keeps at most; a message from a new device beyond it is not stored, but acknowledged and counted, with a warning naming MAX_DEVICES then at most a line a minute; known devices go on (forget one with DELETE /api/devices/:id or npm run fleet -- device forget ID).',
    default: 20_000,
    accepted: 'a whole number from 1 to 1000000',
    parse: envParsers.integer(1, 1_000_000),
  },
  eventStreamMaxClients: {
    env: 'EVENT_STREAM_MAX_CLIENTS',
    doc: 'Event streams (GET /api/events, one per open page) served at once; one more is answered 503.',
    default: 2000,
    accepted: 'a whole number from 1 to 100000',
    parse: envParsers.integer(1, 100_000),
  },
  auth: {
    env: 'AUTH',
    doc: 'Logins. "on": every API request needs a login session or an API token (the page shows a login screen); "off": everyone gets in (a warning at every start); "auto": on once a user exists or when HOST is not a loopback address (the first admin is then made), off on a loopback HOST with no user.',
    default: 'auto' as AuthSetting,
    accepted: 'one of auto, on, off',
    parse: envParsers.oneOf(AUTH_SETTINGS),
  },
  adminUser: {
    env: 'DASHBOARD_ADMIN_USER',
    doc: 'User name of the first admin, made at start when logins are on and there is no user yet.',
    default: 'admin',
    accepted: USERNAME_ACCEPTED,
    parse: envParsers.matching(USERNAME_PATTERN),
  },
  adminPassword: {
    env: 'DASHBOARD_ADMIN_PASSWORD',
    doc: 'Password of that first admin (never logged). Unset: one is generated, logged once and written to DATA_DIR/initial-admin.env, and must be changed at the first login.',
    default: null as string | null,
    accepted: PASSWORD_ACCEPTED,
    parse: (raw: string) => (raw.length >= PASSWORD_MIN && raw.length <= PASSWORD_MAX ? raw : undefined),
    sensitive: true,
  },
  sessionHours: {
    env: 'SESSION_HOURS',
    doc: 'Hours a login lasts; then the page asks for the password again.',
    default: 12,
    accepted: 'a whole number of hours from 1 to 720',
    parse: envParsers.integer(1, 720),
  },
  allowedHosts: {
    env: 'ALLOWED_HOSTS',
    doc: 'Host names the dashboard answers to besides localhost, IP addresses, *.balena-devices.com, the machine\'s host name and the names in HTTPS_CERT (a guard against DNS rebinding); "*" allows any.',
    default: [] as string[],
    accepted: ALLOWED_HOSTS_ACCEPTED,
    parse: parseHostList,
  },
  corsOrigins: {
    env: 'CORS_ORIGINS',
    doc: 'Web origins of other sites whose pages may call the API (with an API token); unset: none, CORS stays closed.',
    default: [] as string[],
    accepted: CORS_ORIGINS_ACCEPTED,
    parse: parseOriginList,
  },
  httpsCert: {
    env: 'HTTPS_CERT',
    doc: 'Certificate file (PEM, with its chain) for serving HTTPS on PORT; needs HTTPS_KEY.',
    default: null as string | null,
    accepted: 'the path of a PEM certificate file',
    parse: envParsers.text,
  },
  httpsKey: {
    env: 'HTTPS_KEY',
    doc: 'Private key file (PEM) of HTTPS_CERT; needs HTTPS_CERT.',
    default: null as string | null,
    accepted: 'the path of the PEM private key file of HTTPS_CERT',
    parse: envParsers.text,
  },
  trustProxy: {
    env: 'TRUST_PROXY',
    doc: 'Believe X-Forwarded-Proto/-For/-Host from a TLS-terminating proxy in front (balena public device URL, Caddy, nginx): the client address and https come from them.',
    default: false as TrustProxy,
    accepted: TRUST_PROXY_ACCEPTED,
    parse: parseTrustProxy,
    describe: describeTrustProxy,
  },
  haDiscovery: {
    env: 'HA_DISCOVERY',
    doc: 'Home Assistant MQTT discovery: "on" publishes every device\'s discovery (retained, <prefix>/device/<id>/config), republishes it when Home Assistant comes online, removes it when a device is forgotten, and sends Home Assistant\'s commands from {root}/<id>/set on to the devices.',
    default: 'off' as 'on' | 'off',
    accepted: 'on or off',
    parse: envParsers.oneOf(['on', 'off'] as const),
  },
  haDiscoveryPrefix: haDiscoveryPrefixVar,
  haLatestFirmware: {
    env: 'HA_LATEST_FIRMWARE',
    doc: "The firmware version Home Assistant's update panel offers every device (Install sends update_firmware with it). Unset: the newest version running in the fleet.",
    default: null as string | null,
    accepted: 'a firmware version such as v1.2.0 or v1.2.0-beta.1',
    parse: envParsers.matching(FIRMWARE_VERSION_PATTERN),
  },
  logLevel: logLevelVar,
  fleetRole: fleetRoleVar,
  envFile: envFileVar,
};

export type DashboardEnv = EnvValues<typeof dashboardEnvSpec>;

/** The loaded configuration, with the defaults that depend on the machine filled in. */
export interface DashboardConfig extends DashboardEnv {
  /** ROLLUP_DAYS, its default resolved. */
  rollupDays: number;
  /** Where and how to reach the broker (MQTT_* variables, with the port's default resolved). */
  mqtt: MqttSettings;
  /** Absolute path of DATA_DIR. */
  dataDir: string;
  /** `<dataDir>/dashboard.sqlite` */
  databasePath: string;
  /** HTTPS_CERT and HTTPS_KEY read and checked; null for plain HTTP. */
  https: HttpsFiles | null;
}

export const DATABASE_FILE = 'dashboard.sqlite';
/** ROLLUP_DAYS when unset (or HISTORY_DAYS when larger). */
export const ROLLUP_DAYS_DEFAULT = 365;

/** Reads the environment; a bad variable throws the ConfigError sentence and nothing is changed. */
export function loadDashboardConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): DashboardConfig {
  const values = loadEnvConfig(dashboardEnvSpec, env);
  if (values.rollupDays !== null && values.rollupDays < values.historyDays) {
    throw new ConfigError(
      `Environment variable ROLLUP_DAYS received "${values.rollupDays}"; accepted: a whole number of days from 1 to 3650, at least HISTORY_DAYS (${values.historyDays}).`,
    );
  }
  const dataDir = resolve(cwd, values.dataDir);
  return {
    ...values,
    rollupDays: values.rollupDays ?? Math.max(ROLLUP_DAYS_DEFAULT, values.historyDays),
    mqtt: mqttSettings(values),
    dataDir,
    databasePath: resolve(dataDir, DATABASE_FILE),
    https: loadHttpsFiles(
      values.httpsCert === null ? null : resolve(cwd, values.httpsCert),
      values.httpsKey === null ? null : resolve(cwd, values.httpsKey),
    ),
  };
}

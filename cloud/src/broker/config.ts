import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  BROKER_HOST_PATTERN,
  ConfigError,
  type EnvValues,
  type EnvVar,
  envParsers,
  fleetRoleVar,
  haDiscoveryPrefixVar,
  loadEnvConfig,
  logLevelVar,
  topicRootVar,
} from '@fleet/shared';
import type { MosquittoProfile } from '../mosquitto-config.js';

const HOSTNAMES_ACCEPTED =
  'host names or IP addresses separated by commas, such as broker.example.com,203.0.113.7, without "mqtts://" or a port';

/** The variables of the broker service (the container entry and its health check). */
export const brokerEnvSpec = {
  fleetRole: fleetRoleVar,
  brokerHostnames: {
    env: 'BROKER_HOSTNAMES',
    doc: 'Host names or IP addresses, separated by commas, that devices on other machines use to reach this broker (FLEET_ROLE=hub). Each one goes into the generated server certificate; the first one goes into client.env.',
    default: [] as string[],
    accepted: HOSTNAMES_ACCEPTED,
    // Every list is read here; each entry is checked in loadBrokerConfig, so the error can name it.
    parse: (raw: string): string[] =>
      raw
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
  } satisfies EnvVar<string[]>,
  dataDir: {
    env: 'DATA_DIR',
    doc: "The broker's data folder: persistence and the dynamic security file in broker/, TLS material and env files in secure/.",
    default: '/mosquitto/data',
    accepted: 'a folder path',
    parse: envParsers.text,
  } satisfies EnvVar<string>,
  sharedDir: {
    env: 'SHARED_DIR',
    doc: "A folder shared with the dashboard's container (read-only there, at /broker): the broker writes dashboard.env into it.",
    default: '/mosquitto/shared',
    accepted: 'a folder path',
    parse: envParsers.text,
  } satisfies EnvVar<string>,
  certsDir: {
    env: 'CERTS_DIR',
    doc: 'A folder with a certificate of your own for FLEET_ROLE=hub: server.crt and server.key, and ca.crt when a private CA of yours signed it. Without them the broker makes its own CA.',
    default: '/mosquitto/certs',
    accepted: 'a folder path',
    parse: envParsers.text,
  } satisfies EnvVar<string>,
  configDir: {
    env: 'MOSQUITTO_CONFIG_DIR',
    doc: 'Where development.conf and production.conf are (the image ships them in /mosquitto/config); tests point it at copies with other listener ports.',
    default: '/mosquitto/config',
    accepted: 'a folder path',
    parse: envParsers.text,
  } satisfies EnvVar<string>,
  topicRoot: topicRootVar,
  haDiscoveryPrefix: haDiscoveryPrefixVar,
  logLevel: logLevelVar,
};

export type BrokerConfig = EnvValues<typeof brokerEnvSpec>;

/** Reads the broker's variables; the first bad one throws a ConfigError whose message is one sentence. */
export function loadBrokerConfig(env: NodeJS.ProcessEnv): BrokerConfig {
  const config = loadEnvConfig(brokerEnvSpec, env);
  const bad = config.brokerHostnames.find((entry) => !BROKER_HOST_PATTERN.test(entry) || isBadIp(entry));
  if (bad !== undefined) {
    throw new ConfigError(
      `Environment variable BROKER_HOSTNAMES received ${JSON.stringify(env.BROKER_HOSTNAMES)}, whose entry ${JSON.stringify(bad)} is neither a host name nor an IP address; accepted: ${HOSTNAMES_ACCEPTED}.`,
    );
  }
  return config;
}

/** Looks like an IPv6 address (has a colon) but is not one. */
function isBadIp(entry: string): boolean {
  return entry.includes(':') && isIP(entry) === 0;
}

/** The profile a role runs: production for the hub, development when the broker stands alone. */
export function profileOf(config: BrokerConfig): MosquittoProfile {
  return config.fleetRole === 'hub' ? 'production' : 'development';
}

/** The configuration file of a profile in MOSQUITTO_CONFIG_DIR. */
export function confPathOf(config: BrokerConfig, profile: MosquittoProfile): string {
  return join(config.configDir, `${profile}.conf`);
}

import { type EnvVar, envParsers } from './env-config.js';

/** The broker's service name in docker-compose.yml, so the services find it with no variable set. */
export const DEFAULT_BROKER_HOST = 'mosquitto';

/** A host name or an IP address: no scheme, no port, no spaces. */
export const BROKER_HOST_PATTERN =
  /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;

export const BROKER_HOST_ACCEPTED =
  'a host name or IP address such as mosquitto or 127.0.0.1, without "mqtt://" or a port';

/** The broker connection variables, the same in every service that speaks MQTT. */
export const mqttEnvSpec = {
  mqttBroker: {
    env: 'MQTT_BROKER',
    doc: `Host name or IP address of the MQTT broker (default: "${DEFAULT_BROKER_HOST}", its service name in docker-compose.yml).`,
    default: DEFAULT_BROKER_HOST,
    accepted: BROKER_HOST_ACCEPTED,
    parse: envParsers.matching(BROKER_HOST_PATTERN),
  } satisfies EnvVar<string>,
  mqttPort: {
    env: 'MQTT_PORT',
    doc: 'TCP port of the MQTT broker.',
    default: 1883,
    accepted: 'a port number from 1 to 65535',
    parse: envParsers.integer(1, 65535),
  } satisfies EnvVar<number>,
  mqttUsername: {
    env: 'MQTT_USERNAME',
    doc: 'User name for the broker; unset means anonymous.',
    default: null as string | null,
    accepted: 'a user name that is not only spaces',
    parse: envParsers.text,
  } satisfies EnvVar<string | null>,
  mqttPassword: {
    env: 'MQTT_PASSWORD',
    doc: 'Password for the broker (never logged).',
    default: null as string | null,
    accepted: 'any text',
    parse: (raw: string): string | null | undefined => raw,
    sensitive: true,
  } satisfies EnvVar<string | null>,
};

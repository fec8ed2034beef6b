import { CA_CERT_ACCEPTED, type CaCertSource, describeCaCert, parseCaCert } from './ca-cert.js';
import { ConfigError, type EnvValues, type EnvVar, envParsers } from './env-config.js';

/** The broker's service name in docker-compose.yml, so the services find it with no variable set. */
export const DEFAULT_BROKER_HOST = 'mosquitto';
export const PLAIN_MQTT_PORT = 1883;
export const TLS_MQTT_PORT = 8883;

/** A host name or an IP address (IPv4, or IPv6 without brackets): no scheme, no port, no spaces. */
export const BROKER_HOST_PATTERN =
  /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;

export const BROKER_HOST_ACCEPTED =
  'a host name or IP address such as mosquitto, 192.0.2.10 or fd00::5, without "mqtt://" or a port';

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
    doc: `TCP port of the MQTT broker (default ${PLAIN_MQTT_PORT}, or ${TLS_MQTT_PORT} with MQTT_TLS=true).`,
    default: null as number | null,
    accepted: 'a port number from 1 to 65535',
    parse: envParsers.integer(1, 65535),
  } satisfies EnvVar<number | null>,
  mqttTls: {
    env: 'MQTT_TLS',
    doc: 'Connect to the broker over TLS and verify its certificate (the production broker accepts nothing else).',
    default: false,
    accepted: 'true or false',
    parse: envParsers.boolean,
  } satisfies EnvVar<boolean>,
  mqttCaCert: {
    env: 'MQTT_CA_CERT',
    doc: 'Certificate of the authority that signed the broker\'s certificate, when it is not a public one (the broker\'s own CA, printed by "npm run fleet -- device add"). Needs MQTT_TLS=true.',
    default: null as CaCertSource | null,
    accepted: CA_CERT_ACCEPTED,
    parse: parseCaCert,
    describe: describeCaCert,
  } satisfies EnvVar<CaCertSource | null>,
  mqttTlsServername: {
    env: 'MQTT_TLS_SERVERNAME',
    doc: "Name the broker's certificate is checked against, when it differs from MQTT_BROKER (e.g. the broker's public name while connecting to its service name). Needs MQTT_TLS=true.",
    default: null as string | null,
    accepted: 'a host name such as mqtt.example.com',
    parse: envParsers.matching(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/),
  } satisfies EnvVar<string | null>,
  mqttUsername: {
    env: 'MQTT_USERNAME',
    doc: 'User name for the broker; unset means anonymous. For a device of the production broker: its device id.',
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

export type MqttEnv = EnvValues<typeof mqttEnvSpec>;

/** Where and how to reach the broker, with the defaults that depend on other variables filled in. */
export interface MqttSettings {
  host: string;
  port: number;
  tls: boolean;
  caCert: CaCertSource | null;
  /** The name the certificate is verified against; null means `host`. */
  servername: string | null;
  username: string | null;
  password: string | null;
}

/**
 * The connection settings of loaded MQTT variables. A CA certificate or server name without MQTT_TLS would
 * be silently unused, so it is refused with the one sentence a bad variable gets.
 */
export function mqttSettings(env: MqttEnv): MqttSettings {
  for (const [value, name] of [
    [env.mqttCaCert, 'MQTT_CA_CERT'],
    [env.mqttTlsServername, 'MQTT_TLS_SERVERNAME'],
  ] as const) {
    if (value !== null && !env.mqttTls) {
      throw new ConfigError(
        `Environment variable ${name} is set but MQTT_TLS is not true; accepted: MQTT_TLS=true with it, or ${name} unset.`,
      );
    }
  }
  return {
    host: env.mqttBroker,
    port: env.mqttPort ?? (env.mqttTls ? TLS_MQTT_PORT : PLAIN_MQTT_PORT),
    tls: env.mqttTls,
    caCert: env.mqttCaCert,
    servername: env.mqttTlsServername,
    username: env.mqttUsername,
    password: env.mqttPassword,
  };
}

/** `mqtts://[fd00::5]:8883`, for log lines (never with credentials). */
export function brokerLabel(settings: Pick<MqttSettings, 'host' | 'port' | 'tls'>): string {
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return `${settings.tls ? 'mqtts' : 'mqtt'}://${host}:${settings.port}`;
}

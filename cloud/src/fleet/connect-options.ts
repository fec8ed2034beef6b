import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { loadCaCert, parseCaCert, parseEnvFile } from '@fleet/shared';
import type { IClientOptions } from 'mqtt';
import { secureLayout } from '../secure/layout.js';

/** Where and how to connect, from the variables of an env file. */
export interface EnvConnection {
  /** e.g. mqtts://127.0.0.1:8883 */
  url: string;
  options: IClientOptions;
}

/**
 * The MQTT connection an env file describes (MQTT_BROKER, MQTT_PORT, MQTT_TLS, MQTT_CA_CERT,
 * MQTT_TLS_SERVERNAME, MQTT_USERNAME, MQTT_PASSWORD), as mqtt.js options. `source` names the file in the
 * one-sentence errors. Certificates are always verified.
 */
export async function connectionFromEnv(
  variables: Record<string, string>,
  source: string,
): Promise<EnvConnection> {
  const host = variables.MQTT_BROKER;
  const port = Number(variables.MQTT_PORT);
  if (!host) throw new Error(`${source} has no MQTT_BROKER.`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(
      `${source} has MQTT_PORT ${JSON.stringify(variables.MQTT_PORT ?? '')}; accepted: a port number.`,
    );
  }
  const tls = variables.MQTT_TLS === 'true';
  const options: IClientOptions = {};
  if (tls) {
    options.rejectUnauthorized = true;
    if (variables.MQTT_CA_CERT) {
      const parsed = parseCaCert(variables.MQTT_CA_CERT);
      if (!parsed) throw new Error(`${source} has an MQTT_CA_CERT that is not a certificate.`);
      options.ca = await loadCaCert(parsed);
    }
    if (variables.MQTT_TLS_SERVERNAME) options.servername = variables.MQTT_TLS_SERVERNAME;
  }
  if (variables.MQTT_USERNAME) options.username = variables.MQTT_USERNAME;
  if (variables.MQTT_PASSWORD) options.password = variables.MQTT_PASSWORD;
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  return { url: `${tls ? 'mqtts' : 'mqtt'}://${shownHost}:${port}`, options };
}

/** How to reach the broker as fleet-admin: D/secure/broker-admin.env, which the broker writes at start. */
export async function adminConnection(dataDir: string): Promise<EnvConnection> {
  const path = secureLayout(dataDir).adminEnv;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(
      `${path} cannot be read (${code}); the broker writes it when it starts with FLEET_ROLE=hub (npm start -- --secure outside the image).`,
    );
  }
  return connectionFromEnv(parseEnvFile(text, path), path);
}

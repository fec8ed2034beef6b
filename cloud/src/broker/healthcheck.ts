import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, createLogger, exitWithOneLine, isEntryPoint } from '@fleet/shared';
import mqtt, { type IClientOptions } from 'mqtt';
import { adminConnection } from '../fleet/connect-options.js';
import { mqttListenerPort } from '../secure/setup.js';
import { type BrokerConfig, confPathOf, loadBrokerConfig } from './config.js';

const SERVICE = 'broker-healthcheck';

/** A CONNACK must arrive within this time. */
export const HEALTHCHECK_TIMEOUT_MS = 3_000;

/** Where and as whom the health check connects: as the broker's own profile says. */
async function target(config: BrokerConfig): Promise<{ url: string; options: IClientOptions; as: string }> {
  if (config.fleetRole === 'hub') {
    const { url, options } = await adminConnection(config.dataDir);
    return { url, options, as: `${options.username ?? 'anonymous'} over TLS` };
  }
  const confPath = confPathOf(config, 'development');
  const port = mqttListenerPort(await readFile(confPath, 'utf8'), confPath);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    options: { host: '127.0.0.1', port, protocol: 'mqtt' },
    as: 'an anonymous client',
  };
}

/** Resolves when the broker accepts an MQTT CONNECT within 3 s; rejects with one sentence otherwise. */
export async function checkBroker(config: BrokerConfig): Promise<string> {
  const { url, options, as } = await target(config);
  const started = Date.now();
  try {
    const client = await mqtt.connectAsync({
      ...options,
      clientId: `healthcheck-${randomUUID().slice(0, 8)}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: HEALTHCHECK_TIMEOUT_MS,
    });
    await client.endAsync(true);
  } catch (error) {
    throw new Error(`unhealthy: ${url} did not accept ${as}: ${(error as Error).message}`);
  }
  return `healthy: ${url} accepted ${as} in ${Date.now() - started} ms`;
}

/** `node cloud/dist/broker/healthcheck.js`: exit 0 when the broker answers, else 1 with one line. */
export async function healthcheck(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: BrokerConfig;
  try {
    config = loadBrokerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) exitWithOneLine(SERVICE, error.message);
    throw error;
  }
  if (config.fleetRole === 'edge') process.exit(0);
  // Whatever happens, the check ends well within Docker's timeout.
  setTimeout(
    () => exitWithOneLine(SERVICE, 'unhealthy: no answer in time'),
    2 * HEALTHCHECK_TIMEOUT_MS,
  ).unref();
  try {
    createLogger(SERVICE, config.logLevel).info(await checkBroker(config));
    process.exit(0);
  } catch (error) {
    exitWithOneLine(SERVICE, (error as Error).message);
  }
}

if (isEntryPoint(import.meta.url)) void healthcheck();

import { readFile } from 'node:fs/promises';
import {
  brokerLabel,
  ConfigError,
  loadEnvConfig,
  type MqttTransportOptions,
  mqttEnvSpec,
  mqttSettings,
  mqttTransportOptions,
  parseEnvFile,
  Topics,
  topicRootVar,
} from '@fleet/shared';
import { secureLayout } from '../secure/layout.js';

/** Where and how to connect: mqtt.js options, and the broker in words for messages. */
export interface EnvConnection {
  /** e.g. mqtts://127.0.0.1:8883 */
  url: string;
  options: MqttTransportOptions;
  /** The fleet's topics under MQTT_TOPIC_ROOT, as the same variables give it (default `devices`). */
  topics: Topics;
}

/**
 * The MQTT connection that MQTT_* variables describe (an env file's, or the environment's), read exactly as
 * the edge and the dashboard read them. `source` names where they come from in the one-sentence errors.
 */
export async function connectionFromEnv(
  variables: Record<string, string | undefined>,
  source: string,
): Promise<EnvConnection> {
  try {
    const settings = mqttSettings(loadEnvConfig(mqttEnvSpec, variables));
    const { topicRoot } = loadEnvConfig({ topicRoot: topicRootVar }, variables);
    return {
      url: brokerLabel(settings),
      options: await mqttTransportOptions(settings),
      topics: new Topics(topicRoot),
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${source}: ${error.message}`);
    throw error;
  }
}

const MQTT_VARIABLES = [...Object.values(mqttEnvSpec).map((variable) => variable.env), topicRootVar.env];

/**
 * How to reach the broker as fleet-admin: D/secure/broker-admin.env, which the broker writes when it starts,
 * with any MQTT_* variable of `env` over it (e.g. MQTT_BROKER=mqtt.example.com on another machine). Without
 * the file, the MQTT_* variables of `env` alone, when they name a user.
 */
export async function adminConnection(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<EnvConnection> {
  const path = secureLayout(dataDir).adminEnv;
  const overrides = Object.fromEntries(
    MQTT_VARIABLES.filter((name) => env[name]).map((name) => [name, env[name] as string]),
  );
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parseEnvFile(await readFile(path, 'utf8'), path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || !overrides.MQTT_USERNAME) {
      throw new Error(
        `${path} cannot be read (${code ?? (error as Error).message}); the broker writes it when it starts in the production profile (FLEET_ROLE=hub, or npm start -- --secure), or give the admin credential as MQTT_BROKER, MQTT_PORT, MQTT_TLS, MQTT_CA_CERT, MQTT_USERNAME and MQTT_PASSWORD.`,
      );
    }
  }
  const source = Object.keys(overrides).length > 0 ? `${path} and the environment` : path;
  return connectionFromEnv({ ...fromFile, ...overrides }, source);
}

import {
  type EnvValues,
  envFileVar,
  loadEnvConfig,
  logLevelVar,
  type MqttSettings,
  mqttEnvSpec,
  mqttSettings,
  topicRootVar,
} from '@fleet/shared';

/**
 * The simulator's environment: the broker's variables exactly as the edge and the dashboard read them, except
 * that MQTT_BROKER defaults to localhost (the simulator runs beside a broker, not in the compose network).
 */
export const simulatorEnvSpec = {
  ...mqttEnvSpec,
  mqttBroker: {
    ...mqttEnvSpec.mqttBroker,
    doc: 'Host name or IP address of the MQTT broker (default: localhost for the simulator).',
    default: 'localhost',
  },
  topicRoot: topicRootVar,
  logLevel: logLevelVar,
  envFile: envFileVar,
};

export interface SimulatorEnv extends EnvValues<typeof simulatorEnvSpec> {
  mqtt: MqttSettings;
}

/** Reads the environment; throws a ConfigError (one sentence: variable, value, what is accepted) on the first bad variable. */
export function loadSimulatorEnv(env: NodeJS.ProcessEnv): SimulatorEnv {
  const values = loadEnvConfig(simulatorEnvSpec, env);
  return { ...values, mqtt: mqttSettings(values) };
}

import { resolve } from 'node:path';
import {
  ACCEPTED,
  ALTITUDE_MAX_M,
  ALTITUDE_MIN_M,
  DEVICE_ID_ACCEPTED,
  DEVICE_ID_PATTERN,
  type EnvSpec,
  type EnvValues,
  type EnvVar,
  envFileVar,
  envParsers,
  FIRMWARE_VERSION_PATTERN,
  HUMIDITY_CORRECTION_MAX_RH,
  INTERVAL_MAX_S,
  INTERVAL_MIN_S,
  isValidDeviceId,
  loadEnvConfig,
  logLevelVar,
  MODES,
  type Mode,
  type MqttSettings,
  mqttEnvSpec,
  mqttSettings,
  PRESSURE_CORRECTION_MAX_HPA,
  TEMPERATURE_CORRECTION_MAX_C,
  THRESHOLD_MAX_C,
  THRESHOLD_MIN_C,
  topicRootVar,
} from '@fleet/shared';
import { CLOCK_SYNC_SOURCES, type ClockSyncSource } from './clock/system-device-clock.js';

export { DEFAULT_BROKER_HOST } from '@fleet/shared';

export const DEFAULT_FIRMWARE_VERSION = 'v1.0.0';
/** 50 000 readings at the default 5 s interval is 250 000 s, about 69 hours of broker outage. */
export const DEFAULT_OUTBOX_MAX = 50_000;

export const SENSOR_CHOICES = ['auto', 'bme280', 'synthetic'] as const;
export type SensorChoice = (typeof SENSOR_CHOICES)[number];
export type I2cAddressChoice = 'auto' | 0x76 | 0x77;

export type EdgeEnv = EnvValues<typeof edgeEnvSpec>;

/** The loaded configuration: the variables, with the defaults that depend on the machine filled in. */
export interface EdgeConfig extends Omit<EdgeEnv, 'deviceId' | 'dataDir'> {
  deviceId: string;
  /** Absolute path of the directory holding the device state and the outbox. */
  dataDir: string;
  /** Where and how to reach the broker (MQTT_* variables, with the port's default resolved). */
  mqtt: MqttSettings;
}

/** Keeps the value type of each variable, so `EnvValues<typeof edgeEnvSpec>` is exact. */
function envVar<T>(variable: EnvVar<T>): EnvVar<T> {
  return variable;
}

/** "0x76", "76" and "0X76" all mean 0x76; "auto" lets the sensor driver probe both addresses. */
function parseI2cAddress(raw: string): I2cAddressChoice | undefined {
  const text = raw.trim().toLowerCase();
  if (text === 'auto') return 'auto';
  const hex = text.startsWith('0x') ? text.slice(2) : text;
  if (hex === '76') return 0x76;
  if (hex === '77') return 0x77;
  return undefined;
}

/**
 * Every environment variable of the edge service. The keys are the fields of EdgeConfig, so
 * `describeEnvConfig(edgeEnvSpec, config)` lists what is in use (with MQTT_PASSWORD masked).
 * DEVICE_ID and DATA_DIR default to null here: their real default depends on the host (see loadEdgeConfig).
 */
export const edgeEnvSpec = {
  deviceId: envVar<string | null>({
    env: 'DEVICE_ID',
    doc: 'Device id in the MQTT topics. Default: BALENA_DEVICE_UUID, then the host name.',
    default: null,
    accepted: DEVICE_ID_ACCEPTED,
    parse: envParsers.matching(DEVICE_ID_PATTERN),
  }),
  ...mqttEnvSpec,
  topicRoot: topicRootVar,
  sensor: envVar<SensorChoice>({
    env: 'SENSOR',
    doc: '"bme280" needs the chip (BME280 or BMP280) on I²C; "synthetic" simulates it; "auto" uses the chip when found, and without one at start probes again every minute and switches to it when it answers.',
    default: 'auto',
    accepted: `one of ${SENSOR_CHOICES.join(', ')}`,
    parse: envParsers.oneOf(SENSOR_CHOICES),
  }),
  i2cBus: envVar<number>({
    env: 'I2C_BUS',
    doc: 'I²C bus number of the sensor (/dev/i2c-N).',
    default: 1,
    accepted: 'a bus number from 0 to 31',
    parse: envParsers.integer(0, 31),
  }),
  i2cAddress: envVar<I2cAddressChoice>({
    env: 'I2C_ADDRESS',
    doc: 'I²C address of the sensor; "auto" tries 0x76, then 0x77.',
    default: 'auto',
    accepted: 'auto, 0x76 or 0x77',
    parse: parseI2cAddress,
  }),
  publishInterval: envVar<number>({
    env: 'PUBLISH_INTERVAL',
    doc: 'Seconds between readings, until a command changes it.',
    default: 5,
    accepted: ACCEPTED.intervalle,
    parse: envParsers.integer(INTERVAL_MIN_S, INTERVAL_MAX_S),
  }),
  mode: envVar<Mode>({
    env: 'MODE',
    doc: 'Operating mode, until a command changes it.',
    default: 'auto',
    accepted: ACCEPTED.mode,
    parse: envParsers.oneOf(MODES),
  }),
  alertThreshold: envVar<number>({
    env: 'ALERT_THRESHOLD',
    doc: 'Temperature in °C above which the alert turns on, until a command changes it.',
    default: 30,
    accepted: ACCEPTED.seuil_alerte,
    parse: envParsers.number(THRESHOLD_MIN_C, THRESHOLD_MAX_C),
  }),
  alertLedGpio: envVar<number | null>({
    env: 'ALERT_LED_GPIO',
    doc: 'BCM pin number of the alert LED; unset or "none" means no LED.',
    default: null,
    accepted: 'a BCM pin number from 0 to 27, or "none"',
    parse: (raw) => (raw.trim().toLowerCase() === 'none' ? null : envParsers.integer(0, 27)(raw)),
  }),
  firmwareVersion: envVar<string>({
    env: 'FIRMWARE_VERSION',
    doc: 'Firmware version the device reports on first start (an OTA update changes it afterwards).',
    default: DEFAULT_FIRMWARE_VERSION,
    accepted: ACCEPTED.update_firmware,
    parse: envParsers.matching(FIRMWARE_VERSION_PATTERN),
  }),
  tempOffset: envVar<number>({
    env: 'TEMP_OFFSET',
    doc: 'Calibration: °C added to every temperature measured (correction_temperature), until a command changes it.',
    default: 0,
    accepted: ACCEPTED.correction_temperature,
    parse: envParsers.number(-TEMPERATURE_CORRECTION_MAX_C, TEMPERATURE_CORRECTION_MAX_C),
  }),
  humidityOffset: envVar<number>({
    env: 'HUMIDITY_OFFSET',
    doc: 'Calibration: %RH added to every humidity measured, the result kept within 0 to 100 (correction_humidite), until a command changes it.',
    default: 0,
    accepted: ACCEPTED.correction_humidite,
    parse: envParsers.number(-HUMIDITY_CORRECTION_MAX_RH, HUMIDITY_CORRECTION_MAX_RH),
  }),
  pressureOffset: envVar<number>({
    env: 'PRESSURE_OFFSET',
    doc: 'Calibration: hPa added to every pressure measured, before any reduction to sea level (correction_pression), until a command changes it.',
    default: 0,
    accepted: ACCEPTED.correction_pression,
    parse: envParsers.number(-PRESSURE_CORRECTION_MAX_HPA, PRESSURE_CORRECTION_MAX_HPA),
  }),
  altitude: envVar<number>({
    env: 'ALTITUDE',
    doc: "The device's altitude in metres above sea level (altitude): pression is then reduced to sea level; 0 reports the pressure measured. Until a command changes it.",
    default: 0,
    accepted: ACCEPTED.altitude,
    parse: envParsers.integer(ALTITUDE_MIN_M, ALTITUDE_MAX_M),
  }),
  dataDir: envVar<string | null>({
    env: 'DATA_DIR',
    doc: "Directory of the device's database, edge.db: its state, the outbox of readings not yet delivered and the acks of recent commands (default: .data/edge-<device id> in the working directory; the Docker image uses /data).",
    default: null,
    accepted: 'a directory path',
    parse: envParsers.text,
  }),
  outboxMax: envVar<number>({
    env: 'OUTBOX_MAX',
    doc: `Readings kept on disk while the broker is unreachable; when full the oldest is dropped. Default ${DEFAULT_OUTBOX_MAX}: about 69 hours at a 5 s interval.`,
    default: DEFAULT_OUTBOX_MAX,
    accepted: 'a whole number from 100 to 1000000',
    parse: envParsers.integer(100, 1_000_000),
  }),
  clockSyncSource: envVar<ClockSyncSource>({
    env: 'CLOCK_SYNC_SOURCE',
    doc: 'How the device knows that its clock is synchronised (each reading says so in clock_synced): "kernel" reads the kernel\'s NTP state with adjtimex (in a balena container, the host\'s chrony sets it); "floor" trusts a clock later than the firmware\'s release date and the last synchronised time this device saw; "auto" uses kernel when adjtimex answers at start, else floor.',
    default: 'auto',
    accepted: `one of ${CLOCK_SYNC_SOURCES.join(', ')}`,
    parse: envParsers.oneOf(CLOCK_SYNC_SOURCES),
  }),
  logLevel: logLevelVar,
  envFile: envFileVar,
} satisfies EnvSpec;

/**
 * Turns a host name into a valid device id: characters outside [A-Za-z0-9_.-] become "-", leading
 * characters that are not a letter or digit go, and the result is cut to 64 characters.
 * Gives null when nothing usable is left.
 */
export function sanitizeDeviceId(name: string): string | null {
  const cleaned = name
    .trim()
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return isValidDeviceId(cleaned) ? cleaned : null;
}

/** The default device id: BALENA_DEVICE_UUID when valid, else the host name (sanitized), else "edge-device". */
function defaultDeviceId(env: NodeJS.ProcessEnv, hostname: string): string {
  const uuid = env.BALENA_DEVICE_UUID?.trim();
  if (uuid && isValidDeviceId(uuid)) return uuid;
  return sanitizeDeviceId(hostname) ?? 'edge-device';
}

/**
 * Reads the edge configuration from the environment. Throws a ConfigError whose message is the one
 * line to print (variable, value received, what is accepted) on the first bad variable.
 * `cwd` resolves a relative DATA_DIR and the default one.
 */
export function loadEdgeConfig(env: NodeJS.ProcessEnv, hostname: string, cwd = process.cwd()): EdgeConfig {
  const values = loadEnvConfig(edgeEnvSpec, env);
  const deviceId = values.deviceId ?? defaultDeviceId(env, hostname);
  return {
    ...values,
    deviceId,
    dataDir: resolve(cwd, values.dataDir ?? `.data/edge-${deviceId}`),
    mqtt: mqttSettings(values),
  };
}

/** Ranges and enumerations of the contract, shared by the command schema and the services' configuration. */
export const MODES = ['auto', 'manuel', 'economie'] as const;
export type Mode = (typeof MODES)[number];

export const INTERVAL_MIN_S = 1;
export const INTERVAL_MAX_S = 60;
export const THRESHOLD_MIN_C = 15;
export const THRESHOLD_MAX_C = 45;
export const COMMAND_ID_MAX_LENGTH = 64;

/**
 * Calibration. The corrections are added to what the sensor measures (a BME280 is within ±1 °C, ±3 %RH and
 * ±1 hPa; the ranges leave room for a sensor warmed by its board). The altitude, in metres above sea level,
 * turns the measured (station) pressure into sea-level pressure; 0 reports station pressure. From the Dead
 * Sea shore (about -430 m) to 9000 m, where the air is near the BME280's 300 hPa floor.
 */
export const TEMPERATURE_CORRECTION_MAX_C = 20;
export const HUMIDITY_CORRECTION_MAX_RH = 20;
export const PRESSURE_CORRECTION_MAX_HPA = 50;
export const ALTITUDE_MIN_M = -500;
export const ALTITUDE_MAX_M = 9000;

/**
 * The version of the contract every message of this release carries in its field `v`. A message without `v`
 * is version 1 (devices of the previous release, during a rolling update). Readers accept any version and
 * ignore the fields they do not know; writers never remove a field without a deprecation first.
 */
export const SCHEMA_VERSION = 2;

/** A command older than this (from its `issued_at`) is rejected as expired, unless it gives its own `ttl_s`. */
export const COMMAND_TTL_DEFAULT_S = 3600;
export const COMMAND_TTL_MAX_S = 7 * 24 * 3600;

/** A storage epoch: 1 to 32 letters, digits, "_" or "-" (the edge makes 16 hex digits). */
export const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The largest device message the dashboard reads, in bytes of its payload: a larger one is counted as
 * invalid and never parsed. A reading is about 300 bytes and a status about 1 KiB; the production broker
 * refuses any packet over 64 KiB (max_packet_size) before it gets this far.
 */
export const MESSAGE_MAX_BYTES = 16 * 1024;

/** Firmware versions look like `v1.2.3`, optionally with a pre-release tag: `v1.2.3-beta.1`. */
export const FIRMWARE_VERSION_PATTERN = /^v\d{1,4}\.\d{1,4}\.\d{1,4}(-[0-9A-Za-z][0-9A-Za-z.-]{0,31})?$/;

export const SENSOR_SOURCES = ['bme280', 'bmp280', 'synthetic'] as const;
export type SensorSource = (typeof SENSOR_SOURCES)[number];

export const OTA_STATES = [
  'idle',
  'downloading',
  'verifying',
  'installing',
  'rebooting',
  'succeeded',
  'failed',
] as const;
export type OtaStateName = (typeof OTA_STATES)[number];

/** What each field accepts, in words: used in every error sentence about that field. */
export const ACCEPTED = {
  mode: `one of ${MODES.map((m) => `"${m}"`).join(', ')}`,
  intervalle: `a whole number of seconds from ${INTERVAL_MIN_S} to ${INTERVAL_MAX_S}`,
  seuil_alerte: `a temperature in °C from ${THRESHOLD_MIN_C.toFixed(1)} to ${THRESHOLD_MAX_C.toFixed(1)}`,
  actif: 'true or false',
  correction_temperature: `a number of °C from ${-TEMPERATURE_CORRECTION_MAX_C} to ${TEMPERATURE_CORRECTION_MAX_C}`,
  correction_humidite: `a number of %RH from ${-HUMIDITY_CORRECTION_MAX_RH} to ${HUMIDITY_CORRECTION_MAX_RH}`,
  correction_pression: `a number of hPa from ${-PRESSURE_CORRECTION_MAX_HPA} to ${PRESSURE_CORRECTION_MAX_HPA}`,
  altitude: `a whole number of metres above sea level from ${ALTITUDE_MIN_M} to ${ALTITUDE_MAX_M} (0: report the pressure measured, not reduced to sea level)`,
  update_firmware: 'a version such as "v1.1.0" (v, then three numbers separated by dots, optionally "-tag")',
  read_now: 'true',
  command_id: `a string of 1 to ${COMMAND_ID_MAX_LENGTH} characters`,
  issued_at: 'an ISO 8601 date and time with its offset, such as "2026-12-01T10:00:00Z"',
  ttl_s: `a whole number of seconds from 1 to ${COMMAND_TTL_MAX_S} (7 days)`,
  v: 'a whole number from 1 (the version of the contract)',
} as const;

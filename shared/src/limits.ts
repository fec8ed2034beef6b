/** Ranges and enumerations of the contract, shared by the command schema and the services' configuration. */
export const MODES = ['auto', 'manuel', 'economie'] as const;
export type Mode = (typeof MODES)[number];

export const INTERVAL_MIN_S = 1;
export const INTERVAL_MAX_S = 60;
export const THRESHOLD_MIN_C = 15;
export const THRESHOLD_MAX_C = 45;
export const COMMAND_ID_MAX_LENGTH = 64;

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
  update_firmware: 'a version such as "v1.1.0" (v, then three numbers separated by dots, optionally "-tag")',
  read_now: 'true',
  command_id: `a string of 1 to ${COMMAND_ID_MAX_LENGTH} characters`,
} as const;

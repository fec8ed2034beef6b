import { z } from 'zod';
import { DEVICE_ID_PATTERN } from './device-id.js';
import {
  ALTITUDE_MAX_M,
  ALTITUDE_MIN_M,
  COMMAND_ID_MAX_LENGTH,
  COMMAND_TTL_MAX_S,
  EPOCH_PATTERN,
  FIRMWARE_VERSION_PATTERN,
  HUMIDITY_CORRECTION_MAX_RH,
  INTERVAL_MAX_S,
  INTERVAL_MIN_S,
  MODES,
  OTA_STATES,
  PRESSURE_CORRECTION_MAX_HPA,
  SENSOR_SOURCES,
  TEMPERATURE_CORRECTION_MAX_C,
  THRESHOLD_MAX_C,
  THRESHOLD_MIN_C,
} from './limits.js';

export const deviceIdSchema = z.string().regex(DEVICE_ID_PATTERN);
export const modeSchema = z.enum(MODES);
export const intervalSchema = z.number().int().min(INTERVAL_MIN_S).max(INTERVAL_MAX_S);
export const thresholdSchema = z.number().min(THRESHOLD_MIN_C).max(THRESHOLD_MAX_C);
const correction = (max: number) => z.number().min(-max).max(max);

/**
 * Calibration, part of the settings since contract 2 (a device of an earlier release neither reports nor
 * accepts it): corrections added to the temperature (°C), humidity (%RH) and pressure (hPa) the sensor
 * measures, and the altitude in metres that turns the pressure into sea-level pressure (0: station pressure).
 * The environment gives their starting values: TEMP_OFFSET, HUMIDITY_OFFSET, PRESSURE_OFFSET and ALTITUDE.
 */
export const calibrationSchema = z.object({
  correction_temperature: correction(TEMPERATURE_CORRECTION_MAX_C),
  correction_humidite: correction(HUMIDITY_CORRECTION_MAX_RH),
  correction_pression: correction(PRESSURE_CORRECTION_MAX_HPA),
  altitude: z.number().int().min(ALTITUDE_MIN_M).max(ALTITUDE_MAX_M),
});
export type Calibration = z.infer<typeof calibrationSchema>;
export const CALIBRATION_FIELDS = [
  'correction_temperature',
  'correction_humidite',
  'correction_pression',
  'altitude',
] as const satisfies ReadonlyArray<keyof Calibration>;
/** Optional in commands (like every action) and where devices write them (earlier releases leave them out). */
const optionalCalibration = calibrationSchema.partial().shape;

export const firmwareVersionSchema = z.string().regex(FIRMWARE_VERSION_PATTERN);
export const commandIdSchema = z.string().min(1).max(COMMAND_ID_MAX_LENGTH);
const isoTimestamp = z.iso.datetime({ offset: true });
/** The contract version of a message (`SCHEMA_VERSION` when written by this release; absent: version 1). */
export const versionSchema = z.number().int().min(1);
export const epochSchema = z.string().regex(EPOCH_PATTERN);
/**
 * Why a device began the epoch it is in: its first start, its state lost (a purged or new volume, a state
 * file that does not parse), an unclean stop (a power cut, a SIGKILL), or an upgrade from a release of
 * contract 1 (whose seq had gaps and no epoch). A clean restart keeps the epoch and its seq counts on.
 */
export const EPOCH_REASONS = ['first_start', 'state_lost', 'unclean_stop', 'upgrade'] as const;
export type EpochReason = (typeof EPOCH_REASONS)[number];

// Messages from devices are read with z.object: a field this release does not know (from a newer device
// during a rolling update) is left out, not refused; the parsers count it. Commands stay strict: a command
// is applied whole or not at all, so a field the device does not know rejects it.

/**
 * `devices/{id}/data`: one reading. The original format, field for field, plus `seq` and `source`, and in
 * contract 2 `v`, `epoch` (the device's storage epoch: seq counts within it) and `clock_synced` (whether the
 * device's clock was synchronised when the reading was taken).
 */
export const telemetrySchema = z.object({
  v: versionSchema.optional(),
  device_id: deviceIdSchema,
  timestamp: isoTimestamp,
  temperature: z.number(),
  humidite: z.number().nullable(),
  pression: z.number(),
  batterie: z.number().min(0).max(100),
  mode: modeSchema,
  firmware: firmwareVersionSchema,
  alerte: z.boolean(),
  uptime: z.number().int().min(0),
  seq: z.number().int().min(0),
  source: z.enum(SENSOR_SOURCES),
  epoch: epochSchema.optional(),
  clock_synced: z.boolean().optional(),
});
export type Telemetry = z.infer<typeof telemetrySchema>;

/**
 * The settings a command can change, as the device reports them after every command. The calibration is
 * always there from a device of this release, absent from one of an earlier release.
 */
export const settingsSchema = z.object({
  mode: modeSchema,
  intervalle: intervalSchema,
  seuil_alerte: thresholdSchema,
  actif: z.boolean(),
  ...optionalCalibration,
});
export type DeviceSettings = z.infer<typeof settingsSchema>;

/** The fields of a command that do something (as opposed to `command_id` and `device_id`). */
export const COMMAND_ACTIONS = [
  'mode',
  'intervalle',
  'seuil_alerte',
  'actif',
  'correction_temperature',
  'correction_humidite',
  'correction_pression',
  'altitude',
  'update_firmware',
  'read_now',
] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

/**
 * `devices/{id}/commands`: one or more actions, applied whole or not at all. Contract 2 adds `issued_at`
 * (when the command was issued) and `ttl_s` (how long it stays valid; COMMAND_TTL_DEFAULT_S when absent):
 * an expired command is rejected. A command without `issued_at` (an older sender) never expires.
 */
export const commandSchema = z.strictObject({
  v: versionSchema.optional(),
  mode: modeSchema.optional(),
  intervalle: intervalSchema.optional(),
  seuil_alerte: thresholdSchema.optional(),
  actif: z.boolean().optional(),
  ...optionalCalibration,
  update_firmware: firmwareVersionSchema.optional(),
  read_now: z.literal(true).optional(),
  command_id: commandIdSchema.optional(),
  device_id: deviceIdSchema.optional(),
  issued_at: isoTimestamp.optional(),
  ttl_s: z.number().int().min(1).max(COMMAND_TTL_MAX_S).optional(),
});
export type Command = z.infer<typeof commandSchema>;

export const otaSchema = z.object({
  state: z.enum(OTA_STATES),
  /** 0 to 100 while downloading; 100 once the image is downloaded. */
  progress: z.number().min(0).max(100),
  target_version: firmwareVersionSchema.nullable(),
  /** The version the device ran before the update, and rolls back to when it fails. */
  previous_version: firmwareVersionSchema.nullable(),
  error: z.string().nullable(),
  command_id: commandIdSchema.nullable(),
  updated_at: isoTimestamp,
});
export type OtaStatus = z.infer<typeof otaSchema>;

export const sensorStatusSchema = z.object({
  source: z.enum(SENSOR_SOURCES),
  /** I²C bus number and address (`0x76`/`0x77`) for a real chip; null for the synthetic model. */
  bus: z.number().int().min(0).nullable(),
  address: z.string().nullable(),
  /** false while reads fail; `error` then says why. */
  healthy: z.boolean(),
  error: z.string().nullable(),
});
export type SensorStatus = z.infer<typeof sensorStatusSchema>;

/**
 * `devices/{id}/status`, retained: the device's state as it last reported it. In contract 2 presence is on
 * `devices/{id}/availability`, so the retained status keeps the last known state while the device is
 * offline; `online` is still there (always true in contract 2) for readers of contract 1.
 */
export const onlineStatusSchema = z.object({
  v: versionSchema.optional(),
  device_id: deviceIdSchema,
  /** Contract 2: the storage epoch the device's seq counts in, and why it began. */
  epoch: epochSchema.optional(),
  epoch_reason: z.enum(EPOCH_REASONS).optional(),
  /** Contract 2: whether the device's clock is synchronised now. */
  clock_synced: z.boolean().optional(),
  online: z.literal(true),
  firmware: firmwareVersionSchema,
  mode: modeSchema,
  intervalle: intervalSchema,
  seuil_alerte: thresholdSchema,
  actif: z.boolean(),
  ...optionalCalibration,
  alerte: z.boolean(),
  sensor: sensorStatusSchema,
  ota: otaSchema,
  timestamp: isoTimestamp,
});
export type OnlineStatus = z.infer<typeof onlineStatusSchema>;

/** Contract 1: the device's last will and its goodbye on the status topic (contract 2 uses availability). */
export const offlineStatusSchema = z.object({
  v: versionSchema.optional(),
  device_id: deviceIdSchema,
  online: z.literal(false),
  timestamp: isoTimestamp.optional(),
});
export type OfflineStatus = z.infer<typeof offlineStatusSchema>;

export const statusSchema = z.discriminatedUnion('online', [onlineStatusSchema, offlineStatusSchema]);
export type DeviceStatus = z.infer<typeof statusSchema>;

/** `devices/{id}/ack`: the result of one command. A redelivered command gets the same ack again. */
export const ackSchema = z.object({
  v: versionSchema.optional(),
  device_id: deviceIdSchema,
  command_id: commandIdSchema.nullable(),
  status: z.enum(['applied', 'rejected']),
  error: z.string().nullable(),
  settings: settingsSchema,
  firmware: firmwareVersionSchema,
  timestamp: isoTimestamp,
});
export type Ack = z.infer<typeof ackSchema>;

/**
 * `devices/{id}/availability`, retained: the text `online` or `offline`, the device's last will being the
 * offline one (the convention of Home Assistant and zigbee2mqtt).
 */
export const AVAILABILITY = ['online', 'offline'] as const;
export type Availability = (typeof AVAILABILITY)[number];

import { z } from 'zod';
import { DEVICE_ID_PATTERN } from './device-id.js';
import {
  COMMAND_ID_MAX_LENGTH,
  FIRMWARE_VERSION_PATTERN,
  INTERVAL_MAX_S,
  INTERVAL_MIN_S,
  MODES,
  OTA_STATES,
  SENSOR_SOURCES,
  THRESHOLD_MAX_C,
  THRESHOLD_MIN_C,
} from './limits.js';

export const deviceIdSchema = z.string().regex(DEVICE_ID_PATTERN);
export const modeSchema = z.enum(MODES);
export const intervalSchema = z.number().int().min(INTERVAL_MIN_S).max(INTERVAL_MAX_S);
export const thresholdSchema = z.number().min(THRESHOLD_MIN_C).max(THRESHOLD_MAX_C);
export const firmwareVersionSchema = z.string().regex(FIRMWARE_VERSION_PATTERN);
export const commandIdSchema = z.string().min(1).max(COMMAND_ID_MAX_LENGTH);
const isoTimestamp = z.iso.datetime({ offset: true });

/** `devices/{id}/data`: one reading. The original format, field for field, plus `seq` and `source`. */
export const telemetrySchema = z.strictObject({
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
});
export type Telemetry = z.infer<typeof telemetrySchema>;

/** The settings a command can change, as the device reports them after every command. */
export const settingsSchema = z.strictObject({
  mode: modeSchema,
  intervalle: intervalSchema,
  seuil_alerte: thresholdSchema,
  actif: z.boolean(),
});
export type DeviceSettings = z.infer<typeof settingsSchema>;

/** The fields of a command that do something (as opposed to `command_id` and `device_id`). */
export const COMMAND_ACTIONS = [
  'mode',
  'intervalle',
  'seuil_alerte',
  'actif',
  'update_firmware',
  'read_now',
] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

/** `devices/{id}/commands`: one or more actions, applied whole or not at all. */
export const commandSchema = z.strictObject({
  mode: modeSchema.optional(),
  intervalle: intervalSchema.optional(),
  seuil_alerte: thresholdSchema.optional(),
  actif: z.boolean().optional(),
  update_firmware: firmwareVersionSchema.optional(),
  read_now: z.literal(true).optional(),
  command_id: commandIdSchema.optional(),
  device_id: deviceIdSchema.optional(),
});
export type Command = z.infer<typeof commandSchema>;

export const otaSchema = z.strictObject({
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

export const sensorStatusSchema = z.strictObject({
  source: z.enum(SENSOR_SOURCES),
  /** I²C bus number and address (`0x76`/`0x77`) for a real chip; null for the synthetic model. */
  bus: z.number().int().min(0).nullable(),
  address: z.string().nullable(),
  /** false while reads fail; `error` then says why. */
  healthy: z.boolean(),
  error: z.string().nullable(),
});
export type SensorStatus = z.infer<typeof sensorStatusSchema>;

/** `devices/{id}/status`, retained: presence and reported settings. */
export const onlineStatusSchema = z.strictObject({
  device_id: deviceIdSchema,
  online: z.literal(true),
  firmware: firmwareVersionSchema,
  mode: modeSchema,
  intervalle: intervalSchema,
  seuil_alerte: thresholdSchema,
  actif: z.boolean(),
  alerte: z.boolean(),
  sensor: sensorStatusSchema,
  ota: otaSchema,
  timestamp: isoTimestamp,
});
export type OnlineStatus = z.infer<typeof onlineStatusSchema>;

/** The device's last will, and what it publishes itself when it stops cleanly. */
export const offlineStatusSchema = z.strictObject({
  device_id: deviceIdSchema,
  online: z.literal(false),
  timestamp: isoTimestamp.optional(),
});
export type OfflineStatus = z.infer<typeof offlineStatusSchema>;

export const statusSchema = z.discriminatedUnion('online', [onlineStatusSchema, offlineStatusSchema]);
export type DeviceStatus = z.infer<typeof statusSchema>;

/** `devices/{id}/ack`: the result of one command. */
export const ackSchema = z.strictObject({
  device_id: deviceIdSchema,
  command_id: commandIdSchema.nullable(),
  status: z.enum(['applied', 'rejected']),
  error: z.string().nullable(),
  settings: settingsSchema,
  firmware: firmwareVersionSchema,
  timestamp: isoTimestamp,
});
export type Ack = z.infer<typeof ackSchema>;

import {
  ackSchema,
  EPOCH_REASONS,
  otaSchema,
  sensorStatusSchema,
  settingsSchema,
  telemetrySchema,
} from '@fleet/shared';
import { z } from 'zod';
import { ROLES } from '../../access/roles.js';
import type {
  CommandLogResponse,
  CommandSuccessResponse,
  DataResponse,
  DevicesResponse,
  ErrorResponse,
  HealthResponse,
  HistoryResponse,
  MeResponse,
  TokenCreatedResponse,
  TokensResponse,
} from '../../api-types.js';

/**
 * The answers of the REST API as zod schemas, for the API document (see validation.ts: they do not
 * serialise). Each is checked against its type of api-types.ts: whatever the type allows, the schema
 * describes.
 */
const answers =
  <T>() =>
  <S extends z.ZodType>(schema: S, ..._described: [T] extends [z.output<S>] ? [] : [never]): S =>
    schema;

const iso = (what: string) =>
  z.string().meta({ description: `${what} (ISO 8601, UTC)`, format: 'date-time' });
const shape = telemetrySchema.shape;

/** A reading as stored, its measurements with their units. */
export const storedReadingSchema = telemetrySchema
  .extend({
    temperature: shape.temperature.meta({ description: 'Temperature, °C' }),
    humidite: shape.humidite.meta({
      description: 'Relative humidity, %RH; null from a sensor without humidity (BMP280)',
    }),
    pression: shape.pression.meta({ description: 'Pressure, hPa' }),
    batterie: shape.batterie.meta({ description: 'Battery charge, % (0 to 100)' }),
    received_at: iso("When the dashboard received it, by the dashboard's clock"),
    trusted_at: iso(
      "The time the dashboard files it under: the device's timestamp when its clock was synchronised and not in the future, else received_at",
    ),
  })
  .meta({ id: 'StoredReading', description: 'A reading as the dashboard stored it' });

const deliverySchema = z.object({
  received: z.number().int().meta({ description: 'Distinct readings stored' }),
  lost: z
    .number()
    .int()
    .meta({ description: 'Readings missing from the seq ranges received, epoch by epoch' }),
  conflicts: z.number().int().meta({
    description: 'Redeliveries whose content differed from the reading stored under the same identity',
  }),
});

export const deviceSummarySchema = z
  .object({
    device_id: z.string(),
    online: z.boolean(),
    last_seen: iso('When the dashboard last received a message from the device').nullable(),
    firmware: z.string().nullable(),
    settings: settingsSchema.nullable(),
    ota: otaSchema.nullable(),
    sensor: sensorStatusSchema.nullable(),
    alerte: z.boolean(),
    latest: storedReadingSchema.nullable(),
    delivery: deliverySchema,
    epoch: z.string().nullable(),
    epoch_reason: z.enum(EPOCH_REASONS).nullable(),
    clock_synced: z.boolean().nullable(),
  })
  .meta({ id: 'DeviceSummary' });

export const dataResponseSchema = answers<DataResponse>()(
  z.object({
    latest: z
      .record(z.string(), storedReadingSchema)
      .meta({ description: 'The latest reading per device id' }),
    history: z.array(storedReadingSchema).meta({ description: 'Oldest first (by trusted_at)' }),
    devices: z.array(z.string()),
  }),
);

export const devicesResponseSchema = answers<DevicesResponse>()(
  z.object({ devices: z.array(deviceSummarySchema) }),
);

const bucketStats = (unit: string) =>
  z
    .object({ min: z.number(), avg: z.number(), max: z.number() })
    .meta({ description: `min, avg and max, ${unit}` });

export const historyResponseSchema = answers<HistoryResponse>()(
  z.object({
    device_id: z.string(),
    history: z.array(storedReadingSchema).meta({
      description:
        'Oldest first: every reading of the range, or the newest of each bucket (form readings); empty with form buckets',
    }),
    bucket_ms: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'The bucket width; null when the readings come whole' }),
    buckets: z
      .array(
        z.object({
          start: iso("The bucket's start; it spans bucket_ms from there"),
          n: z.number().int().meta({ description: 'Readings in the bucket' }),
          temperature: bucketStats('°C'),
          humidite: bucketStats('%RH').nullable(),
          pression: bucketStats('hPa'),
          batterie: bucketStats('%'),
        }),
      )
      .optional()
      .meta({ description: 'Form buckets only: oldest first, buckets without readings left out' }),
  }),
);

export const commandSuccessSchema = answers<CommandSuccessResponse>()(
  z.object({
    status: z.literal('success'),
    command_id: z.string(),
    ack: ackSchema.optional().meta({ description: "The device's ack, with ?wait" }),
  }),
);

export const errorResponseSchema = answers<ErrorResponse>()(
  z
    .object({
      status: z.literal('error'),
      error: z
        .string()
        .meta({ description: 'One sentence: what was received and what is accepted, or what failed' }),
      command_id: z.string().optional(),
      ack: ackSchema.optional(),
    })
    .meta({ id: 'Error' }),
);

export const healthResponseSchema = answers<HealthResponse>()(
  z.object({
    status: z.enum(['ok', 'error']),
    mqtt: z.enum(['connected', 'disconnected']),
    database: z.enum(['ok', 'error']),
    error: z.string().optional(),
  }),
);

export const meResponseSchema = answers<MeResponse>()(
  z.object({
    auth: z.enum(['on', 'off']),
    user: z.object({
      name: z.string(),
      role: z.enum(ROLES),
      kind: z.enum(['user', 'token', 'anonymous']),
      must_change_password: z.boolean(),
    }),
  }),
);

const commandLogEntrySchema = z.object({
  command_id: z.string(),
  device_id: z.string(),
  sent_at: iso('When it was sent'),
  by: z.object({ name: z.string(), kind: z.enum(['user', 'token', 'anonymous', 'mqtt']) }),
  command: z.record(z.string(), z.unknown()).meta({ description: "The command's fields, as sent" }),
  outcome: z.enum(['no_answer', 'applied', 'rejected', 'not_sent']),
  error: z.string().nullable(),
  answered_at: iso("When the device's ack arrived").nullable(),
});

export const commandLogResponseSchema = answers<CommandLogResponse>()(
  z.object({
    device_id: z.string(),
    commands: z.array(commandLogEntrySchema).meta({ description: 'Newest first' }),
  }),
);

const tokenSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  created_by: z.string(),
  created_at: iso('When it was made'),
  last_used_at: iso('When it was last used').nullable(),
  revoked_at: iso('When it was revoked').nullable(),
});

export const tokensResponseSchema = answers<TokensResponse>()(
  z.object({ tokens: z.array(tokenSummarySchema) }),
);

export const tokenCreatedSchema = answers<TokenCreatedResponse>()(
  z.object({
    token: z.string().meta({ description: 'The secret, shown this once' }),
    info: tokenSummarySchema,
  }),
);

/** No body (204). */
export const noContent = z.undefined().meta({ description: 'No content' });

/** A route's error answers, by status code, with what each means. */
export function errors(meanings: Record<number, string>): Record<number, z.ZodType> {
  return Object.fromEntries(
    Object.entries(meanings).map(([code, meaning]) => [code, errorResponseSchema.describe(meaning)]),
  );
}

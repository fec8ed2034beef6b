import { z } from 'zod';
import { CHANNEL_KINDS } from '../../alerts/channels.js';
import { RULE_NAMES } from '../../alerts/rules.js';

/** The answers of the /api/alerts routes as zod schemas, for the API document (see responses.ts). */

const iso = (what: string) =>
  z.string().meta({ description: `${what} (ISO 8601, UTC)`, format: 'date-time' });

export const incidentSchema = z.object({
  id: z.number().int(),
  device_id: z.string(),
  rule: z.enum(RULE_NAMES),
  state: z.enum(['open', 'resolved']),
  opened_at: iso('When it opened'),
  resolved_at: iso('When it was resolved').nullable(),
  value: z.number().nullable().meta({ description: 'The value that raised it, in `unit`' }),
  threshold: z.number().nullable().meta({ description: 'The limit it crossed, in `unit`' }),
  resolved_value: z.number().nullable().meta({ description: 'The value that resolved it, in `unit`' }),
  unit: z.string().meta({ description: '°C, %, min or readings' }),
});

export const incidentPageSchema = z.object({
  incidents: z.array(incidentSchema).meta({ description: 'Open ones first, then the most recent' }),
  open: z.number().int().meta({ description: 'Incidents open now' }),
  total: z.number().int().meta({ description: 'Incidents matching the query' }),
  limit: z.number().int(),
  offset: z.number().int(),
});

const ruleFields = z.record(z.string(), z.union([z.boolean(), z.number(), z.null()]));

export const rulesViewSchema = z.object({
  defaults: z
    .record(z.enum(RULE_NAMES), ruleFields)
    .meta({ description: 'The fleet defaults in force: each rule with `enabled` and its limits' }),
  devices: z
    .record(z.string(), z.record(z.string(), ruleFields))
    .meta({ description: "Each device's override: only the fields it changes" }),
});

const channelSettings = z.record(z.string(), z.string().nullable()).nullable();

export const channelsResponseSchema = z.object({
  channels: z
    .object(Object.fromEntries(CHANNEL_KINDS.map((kind) => [kind, channelSettings])))
    .meta({ description: 'Each channel with its settings, secrets masked, or null when it is not set' }),
});

export const channelTestSchema = z.object({
  results: z.array(
    z.object({
      channel: z.enum(CHANNEL_KINDS),
      ok: z.boolean(),
      status: z
        .number()
        .int()
        .nullable()
        .meta({ description: "The service's HTTP status; null without an answer" }),
      error: z.string().nullable().meta({ description: 'Why it failed, secrets masked' }),
    }),
  ),
});

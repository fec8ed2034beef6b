import type { z } from 'zod';
import { DEVICE_ID_ACCEPTED } from './device-id.js';
import { ACCEPTED } from './limits.js';
import {
  type Ack,
  AVAILABILITY,
  type Availability,
  ackSchema,
  COMMAND_ACTIONS,
  type Command,
  commandSchema,
  type DeviceStatus,
  offlineStatusSchema,
  onlineStatusSchema,
  statusSchema,
  type Telemetry,
  telemetrySchema,
} from './messages.js';

/** `ignored`: the fields of the message this release does not know (left out of `value`). */
export type Result<T> = { ok: true; value: T; ignored?: string[] } | { ok: false; error: string };

const COMMAND_FIELDS = [...COMMAND_ACTIONS, 'command_id', 'device_id', 'issued_at', 'ttl_s', 'v'] as const;
const ACCEPTED_BY_FIELD: Record<string, string> = { ...ACCEPTED, device_id: DEVICE_ID_ACCEPTED };

/** A received value as it appears in an error sentence: JSON, cut short. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a payload that must be a JSON object; `what` names it in the error ("The command"). */
export function parseJsonObject(payload: string | Buffer, what: string): Result<Record<string, unknown>> {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      ok: false,
      error: `${what} received ${describeValue(text)}, which is not JSON; accepted: a JSON object.`,
    };
  }
  if (!isPlainObject(value)) {
    return { ok: false, error: `${what} received ${describeValue(value)}; accepted: a JSON object.` };
  }
  return { ok: true, value };
}

/** One sentence for the first problem zod found: the field, the value received, what is accepted. */
function describeIssue(
  issues: z.core.$ZodIssue[],
  input: Record<string, unknown>,
  fields: readonly string[],
): string {
  const issue = issues[0];
  if (!issue) return 'The message is not valid.';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return `Field ${JSON.stringify(key)} is not accepted; accepted fields: ${fields.join(', ')}.`;
  }
  const path = issue.path.map(String);
  const field = path[0] ?? '';
  let received: unknown = input;
  for (const key of path) received = isPlainObject(received) ? received[key] : undefined;
  const accepted = (path.length === 1 && ACCEPTED_BY_FIELD[field]) || issue.message;
  return `Field ${JSON.stringify(path.join('.'))} received ${describeValue(received)}; accepted: ${accepted}.`;
}

function validate<T>(
  schema: z.ZodType<T>,
  input: Record<string, unknown>,
  fields: readonly string[],
): Result<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: describeIssue(parsed.error.issues, input, fields) };
}

/** Validates a command object, as a device receives it on its topic or the dashboard in a request body. */
export function validateCommand(input: Record<string, unknown>, expectedDeviceId?: string): Result<Command> {
  const result = validate(commandSchema, input, COMMAND_FIELDS);
  if (!result.ok) return result;
  const command = result.value;
  if (!COMMAND_ACTIONS.some((action) => command[action] !== undefined)) {
    return {
      ok: false,
      error: `The command received ${describeValue(input)} with no action; accepted: at least one of ${COMMAND_ACTIONS.join(', ')}.`,
    };
  }
  if (
    expectedDeviceId !== undefined &&
    command.device_id !== undefined &&
    command.device_id !== expectedDeviceId
  ) {
    return {
      ok: false,
      error: `Field "device_id" received ${describeValue(command.device_id)}; accepted: ${JSON.stringify(expectedDeviceId)}, the device the command is sent to.`,
    };
  }
  return result;
}

/** Parses a raw command payload from `devices/{id}/commands`. */
export function parseCommand(payload: string | Buffer, deviceId: string): Result<Command> {
  const json = parseJsonObject(payload, 'The command');
  return json.ok ? validateCommand(json.value, deviceId) : json;
}

/** A device message that validated, with the names of its fields this release does not know. */
function withIgnored<T>(
  result: Result<T>,
  input: Record<string, unknown>,
  known: readonly string[],
): Result<T> {
  if (!result.ok) return result;
  const ignored = Object.keys(input).filter((field) => !known.includes(field));
  return ignored.length > 0 ? { ...result, ignored } : result;
}

const TELEMETRY_FIELDS = Object.keys(telemetrySchema.shape);

export function parseTelemetry(payload: string | Buffer): Result<Telemetry> {
  const json = parseJsonObject(payload, 'The telemetry');
  if (!json.ok) return json;
  return withIgnored(validate(telemetrySchema, json.value, TELEMETRY_FIELDS), json.value, TELEMETRY_FIELDS);
}

const STATUS_FIELDS = [
  ...new Set([...Object.keys(onlineStatusSchema.shape), ...Object.keys(offlineStatusSchema.shape)]),
];

export function parseStatus(payload: string | Buffer): Result<DeviceStatus> {
  const json = parseJsonObject(payload, 'The status');
  if (!json.ok) return json;
  const known = json.value.online === false ? Object.keys(offlineStatusSchema.shape) : STATUS_FIELDS;
  return withIgnored(validate(statusSchema, json.value, []), json.value, known);
}

const ACK_FIELDS = Object.keys(ackSchema.shape);

export function parseAck(payload: string | Buffer): Result<Ack> {
  const json = parseJsonObject(payload, 'The ack');
  if (!json.ok) return json;
  return withIgnored(validate(ackSchema, json.value, ACK_FIELDS), json.value, ACK_FIELDS);
}

/** `devices/{id}/availability`: the text `online` or `offline`. */
export function parseAvailability(payload: string | Buffer): Result<Availability> {
  const text = (typeof payload === 'string' ? payload : payload.toString('utf8')).trim();
  if ((AVAILABILITY as readonly string[]).includes(text)) return { ok: true, value: text as Availability };
  return {
    ok: false,
    error: `The availability received ${describeValue(text)}; accepted: ${AVAILABILITY.map((a) => `"${a}"`).join(' or ')}.`,
  };
}

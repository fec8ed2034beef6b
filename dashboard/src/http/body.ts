import { describeValue } from '@fleet/shared';
import { z } from 'zod';
import { ValidationError } from '../errors.js';

/** One field of a JSON body: what it accepts, in words, and whether its value may be echoed back. */
export interface FieldSpec {
  accepted: string;
  /** A password: a refusal says how long it was, never what it was. */
  secret?: boolean;
  check?: (value: string) => boolean;
}

/**
 * Reads a JSON object of string fields: each one present, a string, and passing its check; no other field.
 * The first problem throws a ValidationError sentence naming the field, what was received and what is
 * accepted.
 */
export function stringFields<K extends string>(body: unknown, spec: Record<K, FieldSpec>): Record<K, string> {
  const names = Object.keys(spec) as K[];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError(
      `The request body received ${describeValue(body)}; accepted: a JSON object with ${names.map((n) => `"${n}"`).join(' and ')}.`,
    );
  }
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!names.includes(key as K)) {
      throw new ValidationError(
        `Field ${JSON.stringify(key)} is not accepted; accepted: ${names.map((n) => `"${n}"`).join(', ')}.`,
      );
    }
  }
  const values = {} as Record<K, string>;
  for (const name of names) {
    const { accepted, secret, check } = spec[name];
    const value = fields[name];
    if (typeof value !== 'string' || (check && !check(value))) {
      const received =
        secret && typeof value === 'string' ? `${value.length} characters` : describeSecretly(value, secret);
      throw new ValidationError(`Field "${name}" received ${received}; accepted: ${accepted}.`);
    }
    values[name] = value;
  }
  return values;
}

function describeSecretly(value: unknown, secret: boolean | undefined): string {
  if (!secret || value === undefined || value === null) return describeValue(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** One string field of a JSON body as a zod schema, with what it accepts in words. */
export interface BodyField {
  schema: z.ZodType<string>;
  accepted: string;
  /** A password: a refusal says how long it was, never what it was (format "password" in the document). */
  secret?: boolean;
}

/**
 * The zod schema of a JSON body of string fields: each one required, no other field, each described by what
 * it accepts. Fastify validates with it; schema/validation.ts words the refusals as stringFields does.
 */
export function bodyObject<S extends Record<string, BodyField>>(
  fields: S,
): z.ZodObject<{ [K in keyof S]: S[K]['schema'] }, z.core.$strict> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(fields)) {
    shape[name] = field.schema.meta({
      description: field.accepted,
      ...(field.secret ? { format: 'password', writeOnly: true } : {}),
    });
  }
  return z.strictObject(shape) as unknown as z.ZodObject<{ [K in keyof S]: S[K]['schema'] }, z.core.$strict>;
}

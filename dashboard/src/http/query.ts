import { describeValue } from '@fleet/shared';
import { z } from 'zod';
import { ValidationError } from '../errors.js';

/** One query (or path) parameter: its zod schema and, in words, what it accepts. */
export interface ParamSpec<T> {
  schema: z.ZodType<T>;
  accepted: string;
}

type Values<S extends Record<string, ParamSpec<unknown>>> = {
  [K in keyof S]: S[K] extends ParamSpec<infer T> ? T : never;
};

/**
 * Validates the query string against `spec`: unknown and repeated parameters are refused, each value goes
 * through its schema. The first problem throws a ValidationError naming the parameter, the value received
 * and what is accepted.
 */
export function parseParams<S extends Record<string, ParamSpec<unknown>>>(
  input: unknown,
  spec: S,
  what: 'Query parameter' | 'Path parameter' = 'Query parameter',
): Values<S> {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const names = Object.keys(spec);
  for (const key of Object.keys(raw)) {
    if (!names.includes(key)) {
      throw new ValidationError(
        `${what} ${JSON.stringify(key)} is not accepted; accepted: ${names.length > 0 ? names.join(', ') : 'none'}.`,
      );
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, param] of Object.entries(spec)) {
    const value = raw[name];
    const parsed = Array.isArray(value) ? null : param.schema.safeParse(value);
    if (!parsed?.success) {
      throw new ValidationError(
        `${what} ${JSON.stringify(name)} received ${describeValue(value)}; accepted: ${param.accepted}.`,
      );
    }
    values[name] = parsed.data;
  }
  return values as Values<S>;
}

/**
 * The zod schema of a query string (or of a route's path parameters) from its parameters: no other
 * parameter, each described by what it accepts. Fastify validates with it (see schema/validation.ts, whose
 * refusals read the descriptions) and the API document shows it.
 */
export function paramObject<S extends Record<string, ParamSpec<unknown>>>(
  spec: S,
): z.ZodObject<{ [K in keyof S]: S[K]['schema'] }, z.core.$strict> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, param] of Object.entries(spec))
    shape[name] = param.schema.meta({ description: param.accepted });
  return z.strictObject(shape) as unknown as z.ZodObject<{ [K in keyof S]: S[K]['schema'] }, z.core.$strict>;
}

/** A whole number from `min` to `max` in the query string; `fallback` when absent. */
export function integerParam(min: number, max: number, fallback: number): ParamSpec<number> {
  return {
    schema: z
      .string()
      .regex(/^\d+$/)
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .optional()
      .transform((value) => value ?? fallback),
    accepted: `a whole number from ${min} to ${max} (default ${fallback})`,
  };
}

/** A number of seconds from 0 to `max`, decimals allowed; 0 when absent. */
export function secondsParam(max: number): ParamSpec<number> {
  return {
    schema: z
      .string()
      .regex(/^\d+(\.\d+)?$/)
      .transform(Number)
      .pipe(z.number().min(0).max(max))
      .optional()
      .transform((value) => value ?? 0),
    accepted: `a number of seconds from 0 to ${max} (default 0: do not wait for the ack)`,
  };
}

/** An ISO 8601 date and time with a time zone, as epoch ms; undefined when absent. */
export function timeParam(meaning: string): ParamSpec<number | undefined> {
  return {
    schema: z.iso
      .datetime({ offset: true })
      .transform((text) => Date.parse(text))
      .optional(),
    accepted: `an ISO 8601 date and time with a time zone such as "2025-01-31T12:00:00Z" (${meaning})`,
  };
}

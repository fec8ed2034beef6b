import { z } from 'zod';

/** One query (or path) parameter: its zod schema and, in words, what it accepts. */
export interface ParamSpec<T> {
  schema: z.ZodType<T>;
  accepted: string;
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

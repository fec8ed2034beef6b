import { z } from 'zod';

/** One string field of a JSON body as a zod schema, with what it accepts in words. */
export interface BodyField {
  schema: z.ZodType<string>;
  accepted: string;
  /** A password: a refusal says how long it was, never what it was (format "password" in the document). */
  secret?: boolean;
}

/**
 * The zod schema of a JSON body of string fields: each one required, no other field, each described by what
 * it accepts. Fastify validates with it; schema/validation.ts words the refusals.
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

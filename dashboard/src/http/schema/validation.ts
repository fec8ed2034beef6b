import { describeValue } from '@fleet/shared';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../../errors.js';

/** The parts of a request a route's schema describes, as Fastify names them. */
type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

/** How a refusal names the thing refused, per part of the request. */
const SUBJECT: Record<HttpPart, string> = {
  body: 'Field',
  querystring: 'Query parameter',
  params: 'Path parameter',
  headers: 'Header',
};

/**
 * Schemas whose refusals the domain words itself (e.g. a command, which shared/ already explains field by
 * field): the function gets the input zod refused and answers its sentence, or null to fall back to the
 * generic one.
 */
const explainers = new WeakMap<z.ZodType, (input: unknown) => string | null>();

/** `schema`, with its refusals worded by `explain` rather than from zod's first issue. */
export function wordedBy<T extends z.ZodType>(schema: T, explain: (input: unknown) => string | null): T {
  explainers.set(schema, explain);
  return schema;
}

/** A field that is a secret (format "password"): a refusal says how long it was, never what it was. */
function isSecret(schema: z.ZodType | undefined): boolean {
  return schema?.meta()?.format === 'password';
}

/** The object schema inside optional, nullable, default and pipe wrappers, if any. */
function objectOf(schema: z.ZodType | undefined): z.ZodObject | undefined {
  let current: z.ZodType | undefined = schema;
  for (let i = 0; current && i < 8; i++) {
    if (current instanceof z.ZodObject) return current;
    const def = current.def as { innerType?: z.ZodType; in?: z.ZodType };
    current = def.innerType ?? def.in;
  }
  return undefined;
}

/** The schema of an object's field. */
function fieldOf(schema: z.ZodType | undefined, key: PropertyKey): z.ZodType | undefined {
  return objectOf(schema)?.shape[String(key)] as z.ZodType | undefined;
}

function fieldNames(schema: z.ZodType | undefined): string[] {
  const object = objectOf(schema);
  return object ? Object.keys(object.shape) : [];
}

function received(value: unknown, secret: boolean): string {
  if (!secret || value === undefined || value === null) return describeValue(value);
  if (typeof value === 'string') return `${value.length} characters`;
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * The one sentence for the first problem zod found in a part of a request: the field (or parameter), the
 * value received and what is accepted, the latter from the field schema's description. Unknown fields come
 * first, then the fields in the schema's order.
 */
export function refusal(
  part: HttpPart,
  schema: z.ZodType,
  input: unknown,
  issues: z.core.$ZodIssue[],
): string {
  const subject = SUBJECT[part];
  const names = fieldNames(schema);
  const unknown = issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknown?.code === 'unrecognized_keys') {
    let owner: z.ZodType | undefined = schema;
    for (const key of unknown.path) owner = fieldOf(owner, key);
    const known = fieldNames(owner);
    const accepted =
      known.length === 0
        ? 'none'
        : part === 'body'
          ? known.map((name) => JSON.stringify(name)).join(', ')
          : known.join(', ');
    const name = [...unknown.path.map(String), unknown.keys[0] ?? ''].join('.');
    return `${subject} ${JSON.stringify(name)} is not accepted; accepted: ${accepted}.`;
  }
  const issue = issues[0];
  if (!issue || issue.path.length === 0) {
    const whole = part === 'body' ? 'The request body' : `The ${part}`;
    const accepted =
      schema.description ??
      (names.length > 0
        ? `a JSON object with ${names.map((name) => JSON.stringify(name)).join(' and ')}`
        : (issue?.message ?? 'a JSON object'));
    return `${whole} received ${describeValue(input)}; accepted: ${accepted}.`;
  }
  let value: unknown = input;
  let field: z.ZodType | undefined = schema;
  for (const key of issue.path) {
    value =
      typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    field = fieldOf(field, key);
  }
  const name = issue.path.map(String).join('.');
  const accepted = field?.description ?? issue.message;
  return `${subject} ${JSON.stringify(name)} received ${received(value, isSecret(field))}; accepted: ${accepted}.`;
}

/**
 * Fastify validates each part of a request with the route's zod schema; a refusal is a ValidationError
 * (400) with the sentence above, which the error handler answers like any other.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const part = (httpPart ?? 'body') as HttpPart;
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const sentence = explainers.get(schema)?.(data) ?? refusal(part, schema, data, result.error.issues);
    return { error: new ValidationError(sentence) };
  };
};

/**
 * Response schemas describe the answers in the API document only: the answer is sent as JSON.stringify
 * makes it, as without a schema (a history answer can hold 10 000 readings; checking each against the
 * schema would cost the main thread for nothing the tests do not already check).
 */
export const plainSerializerCompiler = () => (data: unknown) => JSON.stringify(data);

/** Request validation and response serialisation for every route registered after this. */
export function installSchemaCompilers(app: FastifyInstance): void {
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(plainSerializerCompiler);
}

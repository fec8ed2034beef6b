import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/errors.js';
import { bodyObject } from '../../src/http/body.js';
import { integerParam, paramObject } from '../../src/http/query.js';
import { wordedBy, zodValidatorCompiler } from '../../src/http/schema/validation.js';

type Part = 'body' | 'querystring' | 'params' | 'headers';

/** What Fastify gets from the compiled validator: the value, or the refusal's sentence. */
function check(schema: z.ZodType, part: Part, data: unknown): { value?: unknown; sentence?: string } {
  const validate = zodValidatorCompiler({ schema, method: 'GET', url: '/x', httpPart: part }) as (
    data: unknown,
  ) => { value?: unknown; error?: Error };
  const result = validate(data);
  if (result.error) {
    expect(result.error).toBeInstanceOf(ValidationError);
    return { sentence: result.error.message };
  }
  return { value: result.value };
}

describe('request validation: one sentence per refusal', () => {
  const query = paramObject({
    limit: integerParam(1, 10, 5),
    form: { schema: z.enum(['a', 'b']).optional(), accepted: 'a or b' },
  });

  it('gives a query its values, transformed and defaulted', () => {
    expect(check(query, 'querystring', { limit: '7' })).toEqual({ value: { limit: 7 } });
    expect(check(query, 'querystring', {})).toEqual({ value: { limit: 5 } });
  });

  it.each([
    [
      { limit: '11' },
      'Query parameter "limit" received "11"; accepted: a whole number from 1 to 10 (default 5).',
    ],
    [
      { limit: ['1', '2'] },
      'Query parameter "limit" received ["1","2"]; accepted: a whole number from 1 to 10 (default 5).',
    ],
    [{ form: 'c' }, 'Query parameter "form" received "c"; accepted: a or b.'],
    // An unknown parameter is named first, whatever else is wrong.
    [{ limit: '0', size: '1' }, 'Query parameter "size" is not accepted; accepted: limit, form.'],
  ])('refuses the query %j', (data, sentence) => {
    expect(check(query, 'querystring', data)).toEqual({ sentence });
  });

  it('names a path parameter and a header as such', () => {
    const id = paramObject({ id: { schema: z.string().regex(/^\d+$/), accepted: 'digits' } });
    expect(check(id, 'params', { id: 'x' }).sentence).toBe(
      'Path parameter "id" received "x"; accepted: digits.',
    );
    expect(check(id, 'headers', {}).sentence).toBe('Header "id" received nothing; accepted: digits.');
  });

  const body = bodyObject({
    name: { schema: z.string().min(1), accepted: 'a name' },
    password: { schema: z.string().min(10), accepted: '10 characters or more', secret: true },
  });

  it.each([
    [[1], 'The request body received [1]; accepted: a JSON object with "name" and "password".'],
    [undefined, 'The request body received nothing; accepted: a JSON object with "name" and "password".'],
    [
      { name: 'a', password: 'b'.repeat(10), x: 1 },
      'Field "x" is not accepted; accepted: "name", "password".',
    ],
    [{ password: 'b'.repeat(10) }, 'Field "name" received nothing; accepted: a name.'],
    // A secret is described by its length or type, never echoed.
    [
      { name: 'a', password: 'hunter2' },
      'Field "password" received 7 characters; accepted: 10 characters or more.',
    ],
    [{ name: 'a', password: 12345 }, 'Field "password" received a number; accepted: 10 characters or more.'],
  ])('refuses the body %j', (data, sentence) => {
    expect(check(body, 'body', data)).toEqual({ sentence });
  });

  it('names a nested field by its path, with what it accepts', () => {
    const nested = z.strictObject({
      webhook: z
        .strictObject({
          url: z.string().url().meta({ description: 'an http:// or https:// URL', format: 'password' }),
        })
        .nullable()
        .optional(),
    });
    expect(check(nested, 'body', { webhook: { url: 'not a url' } }).sentence).toBe(
      'Field "webhook.url" received 9 characters; accepted: an http:// or https:// URL.',
    );
    expect(check(nested, 'body', { webhook: { url: 'https://x', y: 1 } }).sentence).toBe(
      'Field "webhook.y" is not accepted; accepted: "url".',
    );
  });

  it("lets a schema's domain word its refusals, and falls back to the generic sentence", () => {
    const even = wordedBy(z.strictObject({ n: z.number().meta({ description: 'a number' }) }), (input) =>
      (input as { n?: unknown }).n === 'two' ? 'Field "n" received "two", a word; accepted: digits.' : null,
    );
    expect(check(even, 'body', { n: 'two' }).sentence).toBe(
      'Field "n" received "two", a word; accepted: digits.',
    );
    expect(check(even, 'body', { n: 'three' }).sentence).toBe(
      'Field "n" received "three"; accepted: a number.',
    );
  });
});

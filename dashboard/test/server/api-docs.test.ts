import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES_ACCEPTED } from '../../src/http/error-handler.js';
import { CONTENT_SECURITY_POLICY } from '../../src/http/security/headers.js';
import { type ApiDocument as Document, documentedRoutes } from './api-document.js';
import { type Harness, startHarness } from './harness.js';

/** The page's own files: served, not part of the API. */
const PAGE_FILES = /^GET \/(static|js|vendor)\//;

describe('the API document (logins off)', () => {
  let h: Harness;
  let document: Document;
  beforeAll(async () => {
    h = await startHarness();
    const response = await h.dashboard.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(response.statusCode).toBe(200);
    document = response.json();
  });
  afterAll(() => h.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid, JSON.stringify(result)).toBe(true);
    // The validator does find faults: the same document with a parameter in no valid place is refused.
    const broken = structuredClone(document);
    const parameter = broken.paths['/api/data']?.get?.parameters?.[0];
    expect(parameter).toBeDefined();
    if (parameter) parameter.in = 'nowhere';
    expect((await validate(broken as never)).valid).toBe(false);
  });

  it('describes every route the server answers, and only those', () => {
    const served = ROUTES_ACCEPTED.split(', ').filter((route) => !PAGE_FILES.test(route));
    expect(documentedRoutes(document).sort()).toEqual(served.sort());
  });

  it('says what every query and path parameter accepts', () => {
    const parameters = Object.values(document.paths).flatMap((operations) =>
      Object.values(operations).flatMap((operation) => operation.parameters ?? []),
    );
    expect(parameters.length).toBeGreaterThan(10);
    for (const parameter of parameters) {
      expect(parameter.description, `${parameter.in} parameter ${parameter.name}`).toMatch(/\w/);
    }
  });

  it('has every route declare its schemas: a summary, and a described success answer', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect((operation as { summary?: string }).summary, where).toMatch(/\w/);
        for (const [code, answer] of Object.entries(operation.responses).filter(([c]) => c.startsWith('2'))) {
          expect(answer.description, `${where} ${code}`).not.toBe('Default Response');
          if (code !== '204') expect(answer.content, `${where} ${code}`).toBeDefined();
        }
      }
    }
  });

  it('gives every operation a success answer and the error shape', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const codes = Object.keys(operation.responses);
        expect(
          codes.some((code) => code.startsWith('2')),
          `${method} ${path}: ${codes}`,
        ).toBe(true);
        for (const code of codes.filter((c) => Number(c) >= 400 && path !== '/healthz')) {
          expect(
            operation.responses[code]?.content?.['application/json']?.schema,
            `${method} ${path} ${code}`,
          ).toEqual({
            $ref: '#/components/schemas/Error',
          });
        }
      }
    }
  });

  it("gives the readings' measurements their units", () => {
    const reading = document.components.schemas.StoredReading?.properties ?? {};
    expect(reading.temperature?.description).toContain('°C');
    expect(reading.humidite?.description).toContain('%RH');
    expect(reading.pression?.description).toContain('hPa');
    expect(reading.batterie?.description).toContain('%');
    // Only the shared schemas an operation refers to.
    expect(Object.keys(document.components.schemas).sort()).toEqual([
      'DeviceSummary',
      'Error',
      'StoredReading',
    ]);
  });

  it('names the two credentials, and marks the public routes as needing none', () => {
    const schemes = (document as unknown as { components: { securitySchemes: Record<string, unknown> } })
      .components.securitySchemes;
    expect(schemes).toEqual({
      session: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'fleet_session' }),
      token: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    expect(document.paths['/healthz']?.get?.security).toEqual([]);
    expect(document.paths['/api/login']?.post?.security).toEqual([]);
    expect(document.paths['/api/data']?.get?.security).toBeUndefined();
    expect(document.paths['/api/command']?.post?.description).toContain('operator or admin role');
    // The guards' refusals: 401 on every route that needs a credential, 403 where a role is needed.
    expect(Object.keys(document.paths['/api/tokens']?.get?.responses ?? {})).toEqual(['200', '401', '403']);
    expect(Object.keys(document.paths['/api/data']?.get?.responses ?? {})).toContain('401');
    expect(Object.keys(document.paths['/api/data']?.get?.responses ?? {})).not.toContain('403');
    expect(Object.keys(document.paths['/healthz']?.get?.responses ?? {})).toEqual(['200', '503']);
  });

  it('describes the command body field by field, without the fields the dashboard writes', () => {
    const body = document.paths['/api/command']?.post?.requestBody?.content['application/json']?.schema as {
      properties: Record<string, { description?: string }>;
      required: string[];
    };
    expect(body.required).toEqual(['device_id']);
    expect(body.properties.intervalle?.description).toBe('a whole number of seconds from 1 to 60');
    expect(Object.keys(body.properties)).not.toContain('v');
    expect(Object.keys(body.properties)).not.toContain('issued_at');
  });

  it('serves the page of the document with its files from this server, under the page CSP', async () => {
    const page = await h.dashboard.app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src).toMatch(/^\/api\/docs\/static\//);
      expect((await h.dashboard.app.inject({ method: 'GET', url: src })).statusCode, src).toBe(200);
    }
    expect(page.body).not.toMatch(/<script>|<script [^s]|<style/);
    expect(page.headers['content-security-policy']).toContain(
      `script-src ${CONTENT_SECURITY_POLICY['script-src'].join(' ')}`,
    );
  });
});

describe('the API document (logins on)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ access: { auth: 'on' } });
  });
  afterAll(() => h.close());

  it('needs a login or a token, like every /api route', async () => {
    for (const url of ['/api/docs', '/api/docs/json', '/api/docs/static/swagger-initializer.js']) {
      expect((await h.dashboard.app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    const { token } = await h.dashboard.tokens.create('docs reader', 'viewer', 'vera');
    const response = await h.dashboard.app.inject({
      method: 'GET',
      url: '/api/docs/json',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().paths['/api/data']).toBeDefined();
  });
});

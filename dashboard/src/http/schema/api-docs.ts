import { readFileSync } from 'node:fs';
import fastifySwagger, { type SwaggerTransform } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { ROLES } from '../../access/roles.js';
import { SESSION_COOKIE } from '../access/sessions.js';
import { CONTENT_SECURITY_POLICY } from '../security/headers.js';
import { errors } from './responses.js';

export const DOCS_PREFIX = '/api/docs';
export const DOCS_JSON = `${DOCS_PREFIX}/json`;

/**
 * The page's CSP, plus the one inline style Swagger UI 5 applies (by its hash; the browser test fails if
 * another version applies another). Its scripts are files of this server like the page's.
 */
export const DOCS_STYLE_HASH = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";
const DOCS_CSP = Object.entries({
  ...CONTENT_SECURITY_POLICY,
  'style-src': [...CONTENT_SECURITY_POLICY['style-src'], DOCS_STYLE_HASH],
})
  .map(([directive, sources]) => `${directive} ${sources.join(' ')}`)
  .join(';');

/** The two routes of the document itself, which the UI plugin hides: documented here like the others. */
const DOCS_ROUTES: Record<string, { summary: string; description: string; type: string }> = {
  [DOCS_PREFIX]: {
    summary: 'This API document, as a page',
    description: 'Swagger UI, served by this server (nothing is loaded from elsewhere).',
    type: 'text/html',
  },
  [DOCS_JSON]: {
    summary: 'This API document',
    description: 'OpenAPI 3.1, as JSON.',
    type: 'application/json',
  },
};

/**
 * zod schemas to JSON Schema (fastify-type-provider-zod), plus who may call each route, from its access
 * config: a public route needs no credential (`security: []`), one with a role says which roles may.
 */
const transform: SwaggerTransform = (input) => {
  // The UI plugin's page is '/' under its prefix: Fastify answers it with and without the slash.
  const url = input.url === `${DOCS_PREFIX}/` ? DOCS_PREFIX : input.url;
  const docs = DOCS_ROUTES[url];
  if (docs) {
    return {
      url,
      schema: {
        summary: docs.summary,
        description: docs.description,
        response: { 200: { description: docs.summary, content: { [docs.type]: { schema: {} } } } },
      },
    };
  }
  const config = input.route.config;
  // The guards' refusals, which every route they guard may answer.
  const guarded: Record<number, string> = {};
  if (!config?.public) guarded[401] = 'No login session and no valid API token (logins on)';
  if (config?.role) guarded[403] = 'A role too low for this';
  const route = input.schema as { response?: Record<number, unknown> } | undefined;
  const result = jsonSchemaTransform({
    ...input,
    schema: route?.response ? { ...route, response: { ...errors(guarded), ...route.response } } : route,
  } as typeof input);
  const schema: Record<string, unknown> = { ...result.schema };
  // A success answer without its own description is what the route's summary says.
  const responses = schema.response as Record<string, Record<string, unknown>> | undefined;
  for (const [code, answer] of Object.entries(responses ?? {})) {
    if (code.startsWith('2') && !answer.description && typeof schema.summary === 'string') {
      answer.description = schema.summary;
    }
  }
  if (config?.public) schema.security = [];
  if (config?.role) {
    const allowed = ROLES.slice(ROLES.indexOf(config.role));
    const needs = `Needs the ${allowed.join(' or ')} role${config.action ? ` (${config.action})` : ''}.`;
    schema.description = schema.description ? `${schema.description} ${needs}` : needs;
  }
  return { schema, url: result.url };
};

type OpenApiObject = ReturnType<typeof jsonSchemaTransformObject>;

/** The document without the shared schemas no operation refers to (the zod provider makes an input twin of each). */
function withoutUnused(document: OpenApiObject): OpenApiObject {
  const components = (document as { components?: { schemas?: Record<string, unknown> } }).components;
  const schemas = components?.schemas;
  if (!schemas) return document;
  // What the operations refer to, then what those refer to, until nothing new.
  const refs = (value: unknown) =>
    [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] as string);
  const used = new Set(refs({ ...document, components: { ...components, schemas: {} } }));
  for (let added = true; added; ) {
    added = false;
    for (const name of [...used]) {
      for (const ref of refs(schemas[name])) {
        if (!used.has(ref)) {
          used.add(ref);
          added = true;
        }
      }
    }
  }
  return {
    ...document,
    components: {
      ...components,
      schemas: Object.fromEntries([...used].map((name) => [name, schemas[name]])),
    },
  } as OpenApiObject;
}

/**
 * The API document (@fastify/swagger, OpenAPI 3.1) built from the routes' schemas, as JSON at
 * /api/docs/json and as a page at /api/docs (@fastify/swagger-ui: its scripts and styles are files of this
 * server, so the page's CSP holds). Like every /api route they need a login when logins are on. Registered
 * before the routes, whose schemas it collects as they are added.
 */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sensor fleet dashboard',
        version,
        description:
          'The REST API of the dashboard. Errors are `{"status":"error","error":"<one sentence>"}`. With logins on ' +
          '(AUTH), every route but the public ones needs a login session (cookie) or an API token (bearer).',
      },
      components: {
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: SESSION_COOKIE,
            description: 'The session cookie POST /api/login sets.',
          },
          token: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token (POST /api/tokens, or `npm run fleet -- token add NAME --role ROLE`).',
          },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    transform,
    transformObject: (input) => withoutUnused(jsonSchemaTransformObject(input)),
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { deepLinking: false, withCredentials: true },
    uiHooks: {
      onRequest: (_request, reply, done) => {
        reply.header('content-security-policy', DOCS_CSP);
        done();
      },
    },
  });
}

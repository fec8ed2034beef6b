import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** The page loads only what this server serves: no inline script or style, no frames, no other hosts. */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** 180 days; sent only on responses over HTTPS (directly, or through a trusted proxy). */
export const HSTS_VALUE = 'max-age=15552000';

/**
 * Security headers on every response (helmet): the CSP above, nosniff, no referrer, no framing. HSTS only
 * when the request came over HTTPS: on plain HTTP it would mean nothing, and behind a proxy it depends on
 * how each request arrived.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    hsts: false,
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https') reply.raw.setHeader('strict-transport-security', HSTS_VALUE);
  });
}

/**
 * CORS only when CORS_ORIGINS lists origins; otherwise other sites' pages cannot read any answer. Without
 * credentials: a listed site's page calls the API with an API token, never with a visitor's login cookie.
 */
export async function registerCors(app: FastifyInstance, corsOrigins: readonly string[]): Promise<void> {
  if (corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: [...corsOrigins],
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization'],
      credentials: false,
      maxAge: 600,
    });
  }
}

import type { Logger } from '@fleet/shared';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { TrustProxy } from '../config-values.js';

/** The largest request body taken (a command, a login, a rule): more is refused with 413. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface ServerDeps {
  logger: Logger;
  /** HTTPS (HTTPS_CERT/HTTPS_KEY) and TRUST_PROXY. */
  server?: { https?: { cert: string; key: string } | null; trustProxy?: TrustProxy };
}

/** The Fastify instance, plain HTTP or HTTPS, with its logger, body limit and proxy trust; no routes. */
export function createServer(deps: ServerDeps): FastifyInstance {
  const https = deps.server?.https ?? null;
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Requests are logged at debug by the hook below, not at info.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify takes a hop count too (its types leave numbers out).
    trustProxy: (deps.server?.trustProxy ?? false) as boolean,
    ...(https ? { https: { cert: https.cert, key: https.key } } : {}),
  });
  // Each request at debug (Fastify's own request logging is off: it would log at info).
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'Request',
    );
  });
  // An HTTPS server is a Fastify instance like the other; only the Node server type differs.
  return app as unknown as FastifyInstance;
}

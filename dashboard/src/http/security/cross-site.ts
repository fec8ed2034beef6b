import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../errors.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** True when the request carries an API token: a browser never adds one by itself, so it is no forgery. */
export function hasBearer(request: FastifyRequest): boolean {
  return /^Bearer\s/i.test(request.headers.authorization ?? '');
}

/** `https://host[:port]` of this dashboard as the request reached it (behind a trusted proxy: as forwarded). */
export function ownOrigin(request: FastifyRequest): string | null {
  try {
    return new URL(`${request.protocol}://${request.host}`).origin;
  } catch {
    return null;
  }
}

function originOf(text: string): string {
  try {
    return new URL(text).origin;
  } catch {
    return text;
  }
}

const REMEDY =
  'send it from the dashboard\'s own page, or from a script with an API token in "Authorization: Bearer <token>"';

/**
 * Cross-site request forgery guard: a state-changing request without an API token is refused when the
 * browser says it comes from another site (Sec-Fetch-Site other than same-origin or none) or from another
 * origin (Origin other than this dashboard's), unless that origin is in CORS_ORIGINS. Requests with neither
 * header (curl, scripts) pass: they cannot ride on a visitor's login cookie.
 */
export function installCrossSiteCheck(app: FastifyInstance, corsOrigins: readonly string[]): void {
  app.addHook('onRequest', async (request) => {
    if (!STATE_CHANGING.has(request.method) || hasBearer(request)) return;
    const origin = request.headers.origin;
    const fetchSite = request.headers['sec-fetch-site'];
    const what = `${request.method} ${request.url.split('?')[0]}`;
    if (origin !== undefined && corsOrigins.includes(originOf(origin))) return;
    if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
      throw new ForbiddenError(
        `A ${what} from another site is refused (Sec-Fetch-Site: ${fetchSite}${origin ? `, Origin: ${origin}` : ''}); ${REMEDY}.`,
      );
    }
    if (origin !== undefined && originOf(origin) !== ownOrigin(request)) {
      throw new ForbiddenError(
        `A ${what} from ${JSON.stringify(origin)} is refused: it is not this dashboard's origin (${ownOrigin(request) ?? 'unknown'}) nor in CORS_ORIGINS; ${REMEDY}.`,
      );
    }
  });
}

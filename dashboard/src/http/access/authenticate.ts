import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ANONYMOUS, type Principal } from '../../access/principal.js';
import { ROLES, type Role, roleAtLeast } from '../../access/roles.js';
import type { Tokens } from '../../access/token-store.js';
import type { Users } from '../../access/user-store.js';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request is; null without a login or token (only on routes open to everyone). */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Open without a login: the page, its files, /healthz, login and logout. */
    public?: boolean;
    /** Open to a user who must change a generated password first. */
    beforePasswordChange?: boolean;
    /** The lowest role allowed, and what it allows in words ("sending commands …"), for the refusal. */
    role?: Role;
    action?: string;
  }
}

export const LOGIN_NEEDED =
  'This needs a login: log in with POST /api/login (the page shows the form), or send an API token in the header "Authorization: Bearer <token>".';
export const TOKEN_NOT_VALID =
  'The API token in "Authorization: Bearer …" is not valid (unknown, revoked or mistyped); send a valid one, or log in with POST /api/login.';
export const CHANGE_PASSWORD_FIRST =
  'Your password was generated for the first login and must be changed before anything else: POST /api/me/password with {"current_password", "new_password"} (the page asks for it).';

/** "Your role is viewer; sending commands and firmware updates needs the operator or admin role." */
export function roleRefusal(role: Role, needed: Role, action: string): string {
  const allowed = ROLES.slice(ROLES.indexOf(needed));
  return `Your role is ${role}; ${action} needs the ${allowed.join(' or ')} role.`;
}

/** The routes of the page and its files: public whatever is sent (fastify-static registers them). */
const PAGE_ROUTES = new Set([
  '/',
  '/static/*',
  '/js/*',
  '/vendor/chart.umd.js',
  '/vendor/chartjs-adapter-date-fns.bundle.min.js',
]);

export interface AuthenticationDeps {
  auth: 'on' | 'off';
  users: Users;
  tokens: Tokens;
}

/**
 * Who each request is, and whether it may go on: an API token (Authorization: Bearer) or a login session,
 * else nobody. Every route needs one except those marked public and the page's; an unknown /api path
 * answers 401 too (nothing is told to a stranger). A user with a generated password reaches only the
 * routes marked beforePasswordChange; a route's `role` is checked last. With logins off, everyone is
 * ANONYMOUS (an admin).
 */
export function installAuthentication(app: FastifyInstance, deps: AuthenticationDeps): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (deps.auth === 'off') {
      request.principal = ANONYMOUS;
      return;
    }
    // A CORS preflight never carries credentials; @fastify/cors answers it.
    if (request.method === 'OPTIONS') return;
    const route = request.routeOptions.url;
    const config = request.routeOptions.config;
    const open =
      route === undefined
        ? !request.url.startsWith('/api')
        : config.public === true || PAGE_ROUTES.has(route);
    request.principal = await principalOf(request, deps, open);
    if (open) return;
    const principal = request.principal;
    if (!principal) throw new UnauthorizedError(LOGIN_NEEDED);
    if (principal.mustChangePassword && !config.beforePasswordChange) {
      throw new ForbiddenError(CHANGE_PASSWORD_FIRST);
    }
    if (config.role && !roleAtLeast(principal.role, config.role)) {
      throw new ForbiddenError(roleRefusal(principal.role, config.role, config.action ?? 'this'));
    }
  });
}

/** The token or the session's user; a bad token throws 401 unless the route is open. */
async function principalOf(
  request: FastifyRequest,
  deps: AuthenticationDeps,
  open: boolean,
): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header !== undefined && /^Bearer\s/i.test(header)) {
    const token = await deps.tokens.verify(header.replace(/^Bearer\s+/i, '').trim());
    if (token) {
      return {
        name: token.name,
        role: token.role,
        kind: 'token',
        mustChangePassword: false,
        sessionId: null,
        tokenId: token.id,
      };
    }
    if (open) return null;
    throw new UnauthorizedError(TOKEN_NOT_VALID);
  }
  const username = request.session?.username;
  if (typeof username !== 'string') return null;
  // A user removed (or whose password changed elsewhere) has no session row left; this is the last word.
  const user = await deps.users.get(username);
  if (!user) return null;
  return {
    name: user.username,
    role: user.role,
    kind: 'user',
    mustChangePassword: user.mustChangePassword,
    sessionId: request.session.sessionId,
    tokenId: null,
  };
}

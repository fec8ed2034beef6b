import fastifyRateLimit from '@fastify/rate-limit';
import type { Logger } from '@fleet/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LoginThrottle } from '../../access/login-throttle.js';
import { PASSWORD_MAX, USERNAME_ACCEPTED, USERNAME_PATTERN } from '../../access/roles.js';
import type { Users } from '../../access/user-store.js';
import { ConflictError, TooManyRequestsError, UnauthorizedError } from '../../errors.js';
import { clearSessionCookie } from '../access/sessions.js';
import { bodyObject } from '../body.js';
import { errors, noContent } from '../schema/responses.js';
import type { SseHub } from '../sse-hub.js';

export const WRONG_LOGIN = 'The user name or the password is not right.';
export const LOGINS_OFF =
  'Logins are off on this dashboard (AUTH=off, or AUTH=auto with no user and a loopback HOST): everyone is let in without one.';

/** Login attempts per client address, whatever the user name (default 20 in 5 minutes). */
export interface LoginRateLimit {
  max: number;
  windowMs: number;
}
export const LOGIN_RATE_LIMIT: LoginRateLimit = { max: 20, windowMs: 5 * 60_000 };

export interface LoginRouteDeps {
  auth: 'on' | 'off';
  users: Users;
  throttle: LoginThrottle;
  hub: SseHub;
  logger: Logger;
  rateLimit?: LoginRateLimit;
}

const loginBody = bodyObject({
  username: { schema: z.string().regex(USERNAME_PATTERN), accepted: USERNAME_ACCEPTED },
  password: {
    schema: z.string().min(1).max(PASSWORD_MAX),
    accepted: `the user's password, 1 to ${PASSWORD_MAX} characters`,
    secret: true,
  },
});

const userNameOf = (request: FastifyRequest): string | null => {
  const name = (request.body as { username?: unknown } | undefined)?.username;
  return typeof name === 'string' ? name.slice(0, 64) : null;
};

/** 429 for a user name locked after repeated failures; one warn line per refusal. */
export async function refuseLocked(
  throttle: LoginThrottle,
  logger: Logger,
  username: string,
  address: string,
): Promise<void> {
  const lockedMs = await throttle.lockedFor(username);
  if (lockedMs === 0) return;
  const seconds = Math.ceil(lockedMs / 1000);
  logger.warn(
    { username, address, retry_after_s: seconds },
    'Login refused: the user name is locked after repeated failed logins',
  );
  throw new TooManyRequestsError(
    `Too many failed logins for user ${JSON.stringify(username)}: it is locked for ${seconds} s more; try again after that.`,
    seconds,
  );
}

/**
 * `POST /api/login` and `POST /api/logout`. A login checks the per-address limit (@fastify/rate-limit),
 * then the user name's lock, then the password; a success starts a new session (new id: no fixation).
 * A logout destroys the session, ends its event streams at once and clears the cookie.
 */
export async function loginRoutes(app: FastifyInstance, deps: LoginRouteDeps): Promise<void> {
  const { users, throttle, logger, hub } = deps;
  const limit = deps.rateLimit ?? LOGIN_RATE_LIMIT;
  await app.register(fastifyRateLimit, { global: false });

  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post(
    '/api/login',
    {
      schema: {
        summary: 'Log in: starts a session (the cookie fleet_session)',
        body: loginBody,
        response: {
          204: noContent,
          ...errors({
            400: 'A body that is not accepted',
            401: 'The user name or the password is not right',
            409: 'Logins are off (AUTH=off)',
            429: 'Too many attempts (from the address, or for the user name); Retry-After says when to retry',
          }),
        },
      },
      config: {
        public: true,
        rateLimit: {
          max: limit.max,
          timeWindow: limit.windowMs,
          // After the body is read, so the warning can name the user name tried.
          hook: 'preHandler',
          onExceeded: (request: FastifyRequest) =>
            logger.warn(
              {
                username: userNameOf(request),
                address: request.ip,
                max: limit.max,
                window_s: limit.windowMs / 1000,
              },
              'Login refused: too many attempts from this address',
            ),
          errorResponseBuilder: (request: FastifyRequest, context: { ttl: number }) => {
            const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
            return new TooManyRequestsError(
              `Too many login attempts from ${request.ip}: at most ${limit.max} in ${limit.windowMs / 60_000} minutes; try again in ${seconds} s.`,
              seconds,
            );
          },
        },
      },
    },
    async (request, reply) => {
      if (deps.auth === 'off') throw new ConflictError(LOGINS_OFF);
      const { username, password } = request.body;
      const address = request.ip;
      await refuseLocked(throttle, logger, username, address);
      const user = await users.verify(username, password);
      if (!user) {
        const lockMs = await throttle.failed(username);
        logger.info(
          { username, address, ...(lockMs > 0 ? { locked_s: lockMs / 1000 } : {}) },
          lockMs > 0 ? 'Login failed; the user name is now locked' : 'Login failed',
        );
        throw new UnauthorizedError(WRONG_LOGIN);
      }
      await throttle.succeeded(username);
      await request.session.regenerate();
      request.session.username = user.username;
      logger.info({ username, address, role: user.role }, 'Login');
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/logout',
    {
      schema: { summary: 'Log out: ends the session and its event streams', response: { 204: noContent } },
      config: { public: true, beforePasswordChange: true },
    },
    async (request, reply) => {
      const session = request.session;
      const username = session?.username;
      if (session && typeof username === 'string') {
        const sessionId = session.sessionId;
        await session.destroy();
        hub.endSession(sessionId);
        logger.info({ username, address: request.ip }, 'Logout');
      }
      if (deps.auth === 'on') clearSessionCookie(request, reply);
      return reply.code(204).send();
    },
  );
}

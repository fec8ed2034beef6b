import type { Logger } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LoginThrottle } from '../../access/login-throttle.js';
import type { Principal } from '../../access/principal.js';
import { PASSWORD_ACCEPTED, PASSWORD_MAX, PASSWORD_MIN } from '../../access/roles.js';
import type { Users } from '../../access/user-store.js';
import type { MeResponse } from '../../api-types.js';
import { ConflictError, ForbiddenError, ValidationError } from '../../errors.js';
import { bodyObject } from '../body.js';
import { errors, meResponseSchema, noContent } from '../schema/responses.js';
import type { SseHub } from '../sse-hub.js';
import { LOGINS_OFF, refuseLocked } from './login.js';

export interface MeRouteDeps {
  auth: 'on' | 'off';
  users: Users;
  throttle: LoginThrottle;
  hub: SseHub;
  logger: Logger;
  /** Called after a user changed their password (the first admin's file is removed then). */
  onPasswordChanged?: (username: string) => Promise<void>;
}

const passwordBody = bodyObject({
  current_password: {
    schema: z.string().min(1).max(PASSWORD_MAX),
    accepted: `your current password, 1 to ${PASSWORD_MAX} characters`,
    secret: true,
  },
  new_password: {
    schema: z.string().min(PASSWORD_MIN).max(PASSWORD_MAX),
    accepted: PASSWORD_ACCEPTED,
    secret: true,
  },
});

/**
 * `GET /api/me` (who the request is) and `POST /api/me/password` (a user changes their own password: the
 * current one is checked like a login, the user's other sessions end, this one stays).
 */
export function meRoutes(app: FastifyInstance, deps: MeRouteDeps): void {
  const { users, throttle, logger } = deps;

  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/api/me',
    {
      schema: {
        summary: 'Who the request is',
        response: { 200: meResponseSchema, ...errors({ 401: 'No login' }) },
      },
      config: { beforePasswordChange: true },
    },
    async (request): Promise<MeResponse> => {
      const principal = request.principal as Principal;
      return {
        auth: deps.auth,
        user: {
          name: principal.name,
          role: principal.role,
          kind: principal.kind,
          must_change_password: principal.mustChangePassword,
        },
      };
    },
  );

  api.post(
    '/api/me/password',
    {
      schema: {
        summary: "Change one's own password (the user's other sessions end)",
        body: passwordBody,
        response: {
          204: noContent,
          ...errors({
            400: 'A body that is not accepted, or a new password equal to the current one',
            403: 'Not your current password, or an API token (which has no password)',
            409: 'Logins are off (AUTH=off)',
            429: 'The user name is locked after repeated failures',
          }),
        },
      },
      config: { beforePasswordChange: true },
    },
    async (request, reply) => {
      if (deps.auth === 'off') throw new ConflictError(LOGINS_OFF);
      const principal = request.principal as Principal;
      if (principal.kind !== 'user') {
        throw new ForbiddenError(
          'An API token has no password to change; log in as the user whose password it is.',
        );
      }
      const body = request.body;
      const username = principal.name;
      const address = request.ip;
      await refuseLocked(throttle, logger, username, address);
      if (!(await users.verify(username, body.current_password))) {
        const lockMs = await throttle.failed(username);
        logger.info(
          { username, address, ...(lockMs > 0 ? { locked_s: lockMs / 1000 } : {}) },
          'Password change refused: the current password is not right',
        );
        throw new ForbiddenError(
          'Field "current_password" is not your current password; the password was not changed.',
        );
      }
      if (body.new_password === body.current_password) {
        throw new ValidationError(
          `Field "new_password" received the current password; accepted: a new password, ${PASSWORD_ACCEPTED}.`,
        );
      }
      await throttle.succeeded(username);
      await users.setPassword(username, body.new_password, {
        mustChange: false,
        keepSession: principal.sessionId,
      });
      // The user's other sessions are gone: their event streams end now rather than at the next heartbeat.
      deps.hub.endInvalid();
      await deps.onPasswordChanged?.(username);
      logger.info({ username, address }, 'Password changed; the other sessions of the user are ended');
      return reply.code(204).send();
    },
  );
}

import type { Logger } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import type { LoginThrottle } from '../../access/login-throttle.js';
import type { Principal } from '../../access/principal.js';
import { PASSWORD_ACCEPTED, PASSWORD_MAX, PASSWORD_MIN } from '../../access/roles.js';
import type { UserStore } from '../../access/user-store.js';
import type { MeResponse } from '../../api-types.js';
import { ConflictError, ForbiddenError, ValidationError } from '../../errors.js';
import { stringFields } from '../body.js';
import type { SseHub } from '../sse-hub.js';
import { LOGINS_OFF, refuseLocked } from './login.js';

export interface MeRouteDeps {
  auth: 'on' | 'off';
  users: UserStore;
  throttle: LoginThrottle;
  hub: SseHub;
  logger: Logger;
  /** Called after a user changed their password (the first admin's file is removed then). */
  onPasswordChanged?: (username: string) => Promise<void>;
}

const passwordBody = {
  current_password: {
    accepted: `your current password, 1 to ${PASSWORD_MAX} characters`,
    secret: true,
    check: (value: string) => value.length >= 1 && value.length <= PASSWORD_MAX,
  },
  new_password: {
    accepted: PASSWORD_ACCEPTED,
    secret: true,
    check: (value: string) => value.length >= PASSWORD_MIN && value.length <= PASSWORD_MAX,
  },
};

/**
 * `GET /api/me` (who the request is) and `POST /api/me/password` (a user changes their own password: the
 * current one is checked like a login, the user's other sessions end, this one stays).
 */
export function meRoutes(app: FastifyInstance, deps: MeRouteDeps): void {
  const { users, throttle, logger } = deps;

  app.get('/api/me', { config: { beforePasswordChange: true } }, async (request): Promise<MeResponse> => {
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
  });

  app.post('/api/me/password', { config: { beforePasswordChange: true } }, async (request, reply) => {
    if (deps.auth === 'off') throw new ConflictError(LOGINS_OFF);
    const principal = request.principal as Principal;
    if (principal.kind !== 'user') {
      throw new ForbiddenError(
        'An API token has no password to change; log in as the user whose password it is.',
      );
    }
    const body = stringFields(request.body, passwordBody);
    const username = principal.name;
    const address = request.ip;
    refuseLocked(throttle, logger, username, address);
    if (!(await users.verify(username, body.current_password))) {
      const lockMs = throttle.failed(username);
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
    throttle.succeeded(username);
    await users.setPassword(username, body.new_password, {
      mustChange: false,
      keepSession: principal.sessionId,
    });
    // The user's other sessions are gone: their event streams end now rather than at the next heartbeat.
    deps.hub.endInvalid();
    await deps.onPasswordChanged?.(username);
    logger.info({ username, address }, 'Password changed; the other sessions of the user are ended');
    return reply.code(204).send();
  });
}

import type { Logger } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../access/principal.js';
import { isRole, ROLE_ACCEPTED } from '../../access/roles.js';
import {
  type ApiToken,
  TOKEN_NAME_ACCEPTED,
  TOKEN_NAME_PATTERN,
  type TokenStore,
} from '../../access/token-store.js';
import type { TokenCreatedResponse, TokenSummary, TokensResponse } from '../../api-types.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { stringFields } from '../body.js';
import { parseParams } from '../query.js';
import type { SseHub } from '../sse-hub.js';

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export function toTokenSummary(token: ApiToken): TokenSummary {
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    created_by: token.createdBy,
    created_at: token.createdAt.toISOString(),
    last_used_at: iso(token.lastUsedAt),
    revoked_at: iso(token.revokedAt),
  };
}

const tokenBody = {
  name: { accepted: TOKEN_NAME_ACCEPTED, check: (value: string) => TOKEN_NAME_PATTERN.test(value) },
  role: { accepted: ROLE_ACCEPTED, check: isRole },
};
const tokenPath = {
  id: {
    schema: z.string().regex(/^[0-9a-f]{12}$/),
    accepted: 'the id of an API token: 12 hexadecimal digits, as GET /api/tokens lists it',
  },
};

const admin = { role: 'admin' as const, action: 'managing API tokens' };

/** `GET /api/tokens`, `POST /api/tokens` and `DELETE /api/tokens/:id`: API tokens, for admins. */
export function tokenRoutes(
  app: FastifyInstance,
  deps: { tokens: TokenStore; hub: SseHub; logger: Logger },
): void {
  const { tokens, logger } = deps;

  app.get('/api/tokens', { config: admin }, async (request): Promise<TokensResponse> => {
    parseParams(request.query, {});
    return { tokens: tokens.list().map(toTokenSummary) };
  });

  app.post('/api/tokens', { config: admin }, async (request, reply): Promise<TokenCreatedResponse> => {
    const { name, role } = stringFields(request.body, tokenBody);
    const by = (request.principal as Principal).name;
    const { token, info } = tokens.create(name, role as ApiToken['role'], by);
    logger.info({ token_id: info.id, token_name: name, role, by, address: request.ip }, 'API token created');
    reply.code(201);
    return { token, info: toTokenSummary(info) };
  });

  app.delete('/api/tokens/:id', { config: admin }, async (request, reply) => {
    const { id } = parseParams(request.params, tokenPath, 'Path parameter');
    const token = tokens.get(id);
    if (!token) {
      throw new NotFoundError(
        `API token ${JSON.stringify(id)} does not exist; accepted: the id of a token listed by GET /api/tokens.`,
      );
    }
    if (token.revokedAt) throw new ConflictError(`API token ${id} is revoked already.`);
    tokens.revoke(id);
    // Its event streams end now rather than at the next heartbeat.
    deps.hub.endInvalid();
    const by = (request.principal as Principal).name;
    logger.info({ token_id: id, token_name: token.name, by, address: request.ip }, 'API token revoked');
    return reply.code(204).send();
  });
}

import type { Logger } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../access/principal.js';
import { ROLE_ACCEPTED, ROLES } from '../../access/roles.js';
import {
  type ApiToken,
  TOKEN_NAME_ACCEPTED,
  TOKEN_NAME_PATTERN,
  type Tokens,
} from '../../access/token-store.js';
import type { TokenCreatedResponse, TokenSummary, TokensResponse } from '../../api-types.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { bodyObject } from '../body.js';
import { paramObject } from '../query.js';
import { errors, noContent, tokenCreatedSchema, tokensResponseSchema } from '../schema/responses.js';
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

const tokenBody = bodyObject({
  name: { schema: z.string().regex(TOKEN_NAME_PATTERN), accepted: TOKEN_NAME_ACCEPTED },
  role: { schema: z.enum(ROLES), accepted: ROLE_ACCEPTED },
});
const tokenPath = paramObject({
  id: {
    schema: z.string().regex(/^[0-9a-f]{12}$/),
    accepted: 'the id of an API token: 12 hexadecimal digits, as GET /api/tokens lists it',
  },
});

const admin = { role: 'admin' as const, action: 'managing API tokens' };

/** `GET /api/tokens`, `POST /api/tokens` and `DELETE /api/tokens/:id`: API tokens, for admins. */
export function tokenRoutes(
  app: FastifyInstance,
  deps: { tokens: Tokens; hub: SseHub; logger: Logger },
): void {
  const { tokens, logger } = deps;

  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/api/tokens',
    {
      schema: {
        summary: 'The API tokens, revoked ones included (never their secrets)',
        querystring: paramObject({}),
        response: { 200: tokensResponseSchema },
      },
      config: admin,
    },
    async (): Promise<TokensResponse> => ({ tokens: (await tokens.list()).map(toTokenSummary) }),
  );

  api.post(
    '/api/tokens',
    {
      schema: {
        summary: 'Make an API token; its secret is in this answer only',
        body: tokenBody,
        response: { 201: tokenCreatedSchema, ...errors({ 400: 'A body that is not accepted' }) },
      },
      config: admin,
    },
    async (request, reply): Promise<TokenCreatedResponse> => {
      const { name, role } = request.body;
      const by = (request.principal as Principal).name;
      const { token, info } = await tokens.create(name, role, by);
      logger.info(
        { token_id: info.id, token_name: name, role, by, address: request.ip },
        'API token created',
      );
      reply.code(201);
      return { token, info: toTokenSummary(info) };
    },
  );

  api.delete(
    '/api/tokens/:id',
    {
      schema: {
        summary: 'Revoke an API token (its event streams end)',
        params: tokenPath,
        response: {
          204: noContent,
          ...errors({ 400: 'An id that cannot be one', 404: 'No such token', 409: 'Revoked already' }),
        },
      },
      config: admin,
    },
    async (request, reply) => {
      const { id } = request.params;
      const token = await tokens.get(id);
      if (!token) {
        throw new NotFoundError(
          `API token ${JSON.stringify(id)} does not exist; accepted: the id of a token listed by GET /api/tokens.`,
        );
      }
      if (token.revokedAt) throw new ConflictError(`API token ${id} is revoked already.`);
      await tokens.revoke(id);
      // Its event streams end now rather than at the next heartbeat.
      deps.hub.endInvalid();
      const by = (request.principal as Principal).name;
      logger.info({ token_id: id, token_name: token.name, by, address: request.ip }, 'API token revoked');
      return reply.code(204).send();
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CommandLogResponse } from '../../api-types.js';
import type { CommandTrail } from '../../commands/command-trail.js';
import type { Fleet } from '../../fleet/fleet.js';
import { integerParam, paramObject } from '../query.js';
import { commandLogResponseSchema } from '../schema/responses.js';
import { deviceParams, deviceQueryErrors, unknownDevice } from './data.js';

export const TRAIL_LIMIT_DEFAULT = 20;
export const TRAIL_LIMIT_MAX = 200;

const trailQuery = paramObject({ limit: integerParam(1, TRAIL_LIMIT_MAX, TRAIL_LIMIT_DEFAULT) });

/** `GET /api/devices/:id/commands?limit=N`: the device's commands, who sent them and their outcome. */
export function trailRoutes(app: FastifyInstance, deps: { fleet: Fleet; trail: CommandTrail }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/devices/:id/commands',
    {
      schema: {
        summary: "The device's commands: who sent them and their outcome, newest first",
        params: deviceParams,
        querystring: trailQuery,
        response: {
          200: commandLogResponseSchema,
          ...deviceQueryErrors,
        },
      },
    },
    async (request): Promise<CommandLogResponse> => {
      const { id } = request.params;
      const { limit } = request.query;
      if (!deps.fleet.has(id)) throw unknownDevice(id);
      return { device_id: id, commands: await deps.trail.list(id, limit) };
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { CommandLogResponse } from '../../api-types.js';
import type { CommandTrail } from '../../commands/command-trail.js';
import type { Fleet } from '../../fleet/fleet.js';
import { integerParam, parseParams } from '../query.js';
import { devicePath, unknownDevice } from './data.js';

export const TRAIL_LIMIT_DEFAULT = 20;
export const TRAIL_LIMIT_MAX = 200;

const trailQuery = { limit: integerParam(1, TRAIL_LIMIT_MAX, TRAIL_LIMIT_DEFAULT) };

/** `GET /api/devices/:id/commands?limit=N`: the device's commands, who sent them and their outcome. */
export function trailRoutes(app: FastifyInstance, deps: { fleet: Fleet; trail: CommandTrail }): void {
  app.get('/api/devices/:id/commands', async (request): Promise<CommandLogResponse> => {
    const { id } = parseParams(request.params, devicePath, 'Path parameter');
    const { limit } = parseParams(request.query, trailQuery);
    if (!deps.fleet.has(id)) throw unknownDevice(id);
    return { device_id: id, commands: deps.trail.list(id, limit) };
  });
}

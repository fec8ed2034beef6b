import type { FastifyInstance } from 'fastify';
import type { Fleet } from '../../fleet/fleet.js';
import { parseParams } from '../query.js';
import { devicePath, unknownDevice } from './data.js';

/**
 * `DELETE /api/devices/:id`: forgets a device (operators and admins): its registry entry, readings and
 * delivery figures go; its commands stay in the trail. 204; 404 for a device the dashboard does not know.
 */
export function forgetRoutes(app: FastifyInstance, deps: { fleet: Pick<Fleet, 'forget'> }): void {
  app.delete(
    '/api/devices/:id',
    { config: { role: 'operator', action: 'forgetting a device' } },
    async (request, reply) => {
      const { id } = parseParams(request.params, devicePath, 'Path parameter');
      if (!(await deps.fleet.forget(id))) throw unknownDevice(id);
      return reply.code(204).send();
    },
  );
}

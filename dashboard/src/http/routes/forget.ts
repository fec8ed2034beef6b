import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Fleet } from '../../fleet/fleet.js';
import { errors, noContent } from '../schema/responses.js';
import { deviceParams, unknownDevice } from './data.js';

/**
 * `DELETE /api/devices/:id`: forgets a device (operators and admins): its registry entry, readings and
 * delivery figures go; its commands stay in the trail. 204; 404 for a device the dashboard does not know.
 */
export function forgetRoutes(app: FastifyInstance, deps: { fleet: Pick<Fleet, 'forget'> }): void {
  app.withTypeProvider<ZodTypeProvider>().delete(
    '/api/devices/:id',
    {
      schema: {
        summary:
          'Forget a device: its registry entry, readings and delivery figures (its commands stay in the trail)',
        params: deviceParams,
        response: {
          204: noContent,
          ...errors({ 400: 'An id that cannot be one', 404: 'A device the dashboard does not know' }),
        },
      },
      config: { role: 'operator', action: 'forgetting a device' },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await deps.fleet.forget(id))) throw unknownDevice(id);
      return reply.code(204).send();
    },
  );
}

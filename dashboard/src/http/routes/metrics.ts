import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FleetMetrics } from '../../metrics/fleet-metrics.js';
import { errors } from '../schema/responses.js';

/**
 * `GET /metrics`: the Prometheus text format. Not public: with logins on, an API token of any role
 * (Authorization: Bearer) or a session; with logins off, open like the rest.
 */
export function metricsRoutes(app: FastifyInstance, deps: { metrics: FleetMetrics }): void {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        response: {
          200: {
            description: 'The Prometheus text format',
            content: { 'text/plain': { schema: z.string() } },
          },
          ...errors({ 401: 'No login and no API token (logins on)' }),
        },
      },
    },
    async (_request, reply) => {
      const text = await deps.metrics.text();
      return reply.type(deps.metrics.contentType).send(text);
    },
  );
}

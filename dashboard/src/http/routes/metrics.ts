import type { FastifyInstance } from 'fastify';
import type { FleetMetrics } from '../../metrics/fleet-metrics.js';

/**
 * `GET /metrics`: the Prometheus text format. Not public: with logins on, an API token of any role
 * (Authorization: Bearer) or a session; with logins off, open like the rest.
 */
export function metricsRoutes(app: FastifyInstance, deps: { metrics: FleetMetrics }): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.text();
    return reply.type(deps.metrics.contentType).send(text);
  });
}

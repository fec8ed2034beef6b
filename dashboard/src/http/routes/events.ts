import type { FastifyInstance } from 'fastify';
import type { DashboardEventName } from '../../api-types.js';
import type { Fleet } from '../../fleet/fleet.js';
import { parseParams } from '../query.js';
import type { SseHub } from '../sse-hub.js';

/**
 * `GET /api/events`: Server-Sent Events `telemetry`, `status`, `ack` and `device`. A new client first gets a
 * `device` event per known device, so it needs no separate fetch to be up to date.
 */
export function eventRoutes(app: FastifyInstance, deps: { hub: SseHub; fleet: Fleet }): void {
  app.get('/api/events', async (request, reply) => {
    parseParams(request.query, {});
    reply.hijack();
    const initial = deps.fleet
      .summaries()
      .map((summary): [DashboardEventName, unknown] => ['device', summary]);
    deps.hub.add(reply.raw, initial);
  });
}

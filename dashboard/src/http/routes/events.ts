import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../access/principal.js';
import type { DashboardEventName } from '../../api-types.js';
import type { Fleet } from '../../fleet/fleet.js';
import { parseParams } from '../query.js';
import type { SseHub, StreamOwner } from '../sse-hub.js';

/**
 * `GET /api/events`: Server-Sent Events `telemetry`, `status`, `ack`, `device` and `command`. A new client
 * first gets a `device` event per known device, so it needs no separate fetch to be up to date. The stream
 * lasts as long as the login or token behind it.
 */
export function eventRoutes(
  app: FastifyInstance,
  deps: { hub: SseHub; fleet: Fleet; ownerOf: (principal: Principal) => StreamOwner },
): void {
  app.get('/api/events', async (request, reply) => {
    parseParams(request.query, {});
    const owner = deps.ownerOf(request.principal as Principal);
    reply.hijack();
    const initial = deps.fleet
      .summaries()
      .map((summary): [DashboardEventName, unknown] => ['device', summary]);
    deps.hub.add(reply.raw, initial, owner);
  });
}

import { DEVICE_ID_ACCEPTED, deviceIdSchema } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../access/principal.js';
import type { FleetMode } from '../../api-types.js';
import { ServiceUnavailableError } from '../../errors.js';
import { paramObject } from '../query.js';
import { errors } from '../schema/responses.js';
import type { SseHub, StreamOwner } from '../sse-hub.js';

export const FLEET_MODES = ['rows', 'counts', 'none'] as const satisfies readonly FleetMode[];

const eventsQuery = paramObject({
  device: {
    schema: deviceIdSchema.optional().transform((id) => id ?? null),
    accepted: `a device id (${DEVICE_ID_ACCEPTED}), the one device whose events the stream carries`,
  },
  fleet: {
    schema: z
      .enum(FLEET_MODES)
      .optional()
      .transform((mode) => mode ?? 'rows'),
    accepted: 'rows (the default: counts and rows), counts, or none',
  },
});

/**
 * `GET /api/events?device=ID&fleet=rows|counts|none`: Server-Sent Events. The `fleet` event (first in full,
 * then the changes at most about once a second) and, for the device watched, `device` (first, when known),
 * `telemetry`, `status`, `ack`, `command` and `forgotten`. The stream lasts as long as the login or token
 * behind it; over EVENT_STREAM_MAX_CLIENTS streams, 503.
 */
export function eventRoutes(
  app: FastifyInstance,
  deps: { hub: SseHub; ownerOf: (principal: Principal) => StreamOwner },
): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/events',
    {
      schema: {
        summary: 'Server-Sent Events: the fleet, and the one device watched',
        description:
          'Events `fleet` (FleetEventData), and for the device watched `device`, `telemetry`, `status`, `ack`, `command` and `forgotten`; the types are in dashboard/src/api-types.ts. The stream lasts as long as the login or token behind it.',
        querystring: eventsQuery,
        response: {
          200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } },
          ...errors({
            400: 'A parameter that is not accepted',
            503: 'EVENT_STREAM_MAX_CLIENTS streams are open already',
          }),
        },
      },
    },
    async (request, reply) => {
      const query = request.query;
      if (deps.hub.isFull()) {
        throw new ServiceUnavailableError(
          `The event stream serves ${deps.hub.size} clients already, the most EVENT_STREAM_MAX_CLIENTS (${deps.hub.maxClients}) allows; close another page or raise EVENT_STREAM_MAX_CLIENTS.`,
        );
      }
      const owner = deps.ownerOf(request.principal as Principal);
      reply.hijack();
      deps.hub.add(reply.raw, { device: query.device, fleet: query.fleet }, owner);
    },
  );
}

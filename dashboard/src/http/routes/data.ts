import { DEVICE_ID_ACCEPTED, deviceIdSchema } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DataResponse } from '../../api-types.js';
import { NotFoundError } from '../../errors.js';
import type { Fleet } from '../../fleet/fleet.js';
import type { ReadingStore } from '../../storage/reading-store.js';
import type { TelemetryStore } from '../../storage/telemetry-store.js';
import { integerParam, paramObject } from '../query.js';
import { dataResponseSchema, errors } from '../schema/responses.js';

export const DATA_LIMIT_DEFAULT = 100;
export const LIMIT_MAX = 10_000;

const dataQuery = paramObject({
  device: { schema: deviceIdSchema.optional(), accepted: `a device id: ${DEVICE_ID_ACCEPTED}` },
  limit: integerParam(1, LIMIT_MAX, DATA_LIMIT_DEFAULT),
});

/** The path parameter `:id` of the `/api/devices/:id…` routes. */
export const devicePath = { id: { schema: deviceIdSchema, accepted: DEVICE_ID_ACCEPTED } };
/** The same, as a route's `params` schema. */
export const deviceParams = paramObject(devicePath);

/** The error answers of a route about one device, or naming one in its query: a bad parameter, an unknown device. */
export const deviceQueryErrors = errors({
  400: 'A parameter that is not accepted',
  404: 'A device the dashboard has never seen',
});

export function unknownDevice(deviceId: string): NotFoundError {
  return new NotFoundError(
    `Device ${JSON.stringify(deviceId)} has never been seen by the dashboard; accepted: the id of a device listed by GET /api/devices.`,
  );
}

/** `GET /api/data`: the original endpoint. Latest reading per device, recent history, device ids. */
export function dataRoutes(
  app: FastifyInstance,
  deps: { fleet: Fleet; store: Pick<TelemetryStore | ReadingStore, 'recent'> },
): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/data',
    {
      schema: {
        summary: 'The original endpoint: the latest reading per device, recent history, the device ids',
        querystring: dataQuery,
        response: {
          200: dataResponseSchema,
          ...deviceQueryErrors,
        },
      },
    },
    async (request): Promise<DataResponse> => {
      const query = request.query;
      if (query.device !== undefined && !deps.fleet.has(query.device)) throw unknownDevice(query.device);
      const history = await deps.store.recent({
        limit: query.limit,
        ...(query.device ? { deviceId: query.device } : {}),
      });
      return { latest: deps.fleet.latest(), history, devices: deps.fleet.ids() };
    },
  );
}

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DevicesResponse, HistoryResponse } from '../../api-types.js';
import { ValidationError } from '../../errors.js';
import type { Fleet } from '../../fleet/fleet.js';
import { type HistoryQuery, type HistoryStore, historyResponse } from '../../storage/history-store.js';
import { integerParam, type ParamSpec, paramObject, timeParam } from '../query.js';
import { devicesResponseSchema, errors, historyResponseSchema } from '../schema/responses.js';
import { deviceParams, deviceQueryErrors, LIMIT_MAX, unknownDevice } from './data.js';

export const HISTORY_LIMIT_DEFAULT = 1000;

const HISTORY_FORMS = ['readings', 'buckets'] as const;
const formParam: ParamSpec<(typeof HISTORY_FORMS)[number]> = {
  schema: z
    .enum(HISTORY_FORMS)
    .optional()
    .transform((value) => value ?? 'readings'),
  accepted: 'readings or buckets (default readings)',
};

const historyQuery = paramObject({
  from: timeParam('the start of the range; default: the oldest reading'),
  to: timeParam('the end of the range; default: the newest reading'),
  limit: integerParam(1, LIMIT_MAX, HISTORY_LIMIT_DEFAULT),
  form: formParam,
});

/** Refuses a range whose `from` is after its `to` (both given), in the history routes' words. */
export function checkRangeOrder(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && to !== undefined && from > to) {
    throw new ValidationError(
      `Query parameter "from" received ${JSON.stringify(new Date(from).toISOString())}; accepted: a time no later than "to" (${new Date(to).toISOString()}).`,
    );
  }
}

/** `GET /api/devices` (the fleet) and `GET /api/devices/:id/history` (one device's readings over a range). */
export function deviceRoutes(app: FastifyInstance, deps: { fleet: Fleet; store: HistoryStore }): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/api/devices',
    {
      schema: {
        summary: 'The fleet: every device the dashboard knows, with its latest reading',
        querystring: paramObject({}),
        response: { 200: devicesResponseSchema, ...errors({ 400: 'A parameter (there are none)' }) },
      },
    },
    async (): Promise<DevicesResponse> => ({ devices: deps.fleet.summaries() }),
  );

  api.get(
    '/api/devices/:id/history',
    {
      schema: {
        summary: "One device's history over a range: every reading, or time buckets",
        params: deviceParams,
        querystring: historyQuery,
        response: {
          200: historyResponseSchema,
          ...deviceQueryErrors,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const query = request.query;
      checkRangeOrder(query.from, query.to);
      if (!deps.fleet.has(id)) throw unknownDevice(id);
      const asked: HistoryQuery = {
        deviceId: id,
        limit: query.limit,
        form: query.form,
        ...(query.from !== undefined ? { from: query.from } : {}),
        ...(query.to !== undefined ? { to: query.to } : {}),
      };
      // Made where the query ran (the history thread): sent as it is, bytes of the JSON the schema describes.
      const json = deps.store.historyJson?.(asked) ?? null;
      if (json) {
        const bytes = await json;
        (reply as FastifyReply)
          .type('application/json; charset=utf-8')
          .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        return reply;
      }
      const answer: HistoryResponse = historyResponse(asked, await deps.store.history(asked));
      return answer;
    },
  );
}

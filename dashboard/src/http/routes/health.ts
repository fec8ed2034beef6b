import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { HealthResponse } from '../../api-types.js';
import type { Ingest } from '../../ingest/ingest.js';
import type { BrokerConnection } from '../../mqtt/broker-connection.js';
import { healthResponseSchema } from '../schema/responses.js';

const waiting = (n: number) => (n === 1 ? '1 received message waits' : `${n} received messages wait`);

/**
 * `GET /healthz`: 200 when the broker is connected and the database answers and takes writes, else 503
 * saying which is not.
 */
export function healthRoutes(
  app: FastifyInstance,
  deps: {
    broker: Pick<BrokerConnection, 'connected' | 'state'>;
    store: { isHealthy(): boolean | Promise<boolean> };
    ingest: Pick<Ingest, 'failing' | 'pending'>;
  },
): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/healthz',
    {
      schema: {
        summary: 'Health: the broker connection and the database',
        response: {
          200: healthResponseSchema.describe(
            'The broker is connected and the database answers and takes writes',
          ),
          503: healthResponseSchema.describe('Not healthy; `error` says what is not'),
        },
      },
      config: { public: true },
    },
    async (_request, reply): Promise<HealthResponse> => {
      const mqtt = deps.broker.connected ? 'connected' : 'disconnected';
      const failing = deps.ingest.failing;
      const answers = await deps.store.isHealthy();
      const database = answers && !failing ? 'ok' : 'error';
      if (mqtt === 'connected' && database === 'ok') return { status: 'ok', mqtt, database };
      const problems = [
        ...(mqtt === 'connected' ? [] : [`the MQTT broker is not connected (state: ${deps.broker.state})`]),
        ...(answers ? [] : ['the database does not answer']),
        ...(answers && failing
          ? [
              `the database cannot be written since ${failing.since.toISOString()} (${failing.reason}); ${waiting(deps.ingest.pending)} unacknowledged, and the others wait in the MQTT broker until it can`,
            ]
          : []),
      ];
      reply.code(503);
      return {
        status: 'error',
        mqtt,
        database,
        error: `Not healthy: ${problems.join(' and ')}.`,
      };
    },
  );
}

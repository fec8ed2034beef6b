import type { FastifyInstance } from 'fastify';
import type { HealthResponse } from '../../api-types.js';
import type { BrokerConnection } from '../../mqtt/broker-connection.js';
import type { TelemetryStore } from '../../storage/telemetry-store.js';

/** `GET /healthz`: 200 when the broker is connected and the database answers, else 503 saying which is not. */
export function healthRoutes(
  app: FastifyInstance,
  deps: { broker: Pick<BrokerConnection, 'connected' | 'state'>; store: Pick<TelemetryStore, 'isHealthy'> },
): void {
  app.get('/healthz', { config: { public: true } }, async (_request, reply): Promise<HealthResponse> => {
    const mqtt = deps.broker.connected ? 'connected' : 'disconnected';
    const database = deps.store.isHealthy() ? 'ok' : 'error';
    if (mqtt === 'connected' && database === 'ok') return { status: 'ok', mqtt, database };
    const problems = [
      ...(mqtt === 'connected' ? [] : [`the MQTT broker is not connected (state: ${deps.broker.state})`]),
      ...(database === 'ok' ? [] : ['the database does not answer']),
    ];
    reply.code(503);
    return { status: 'error', mqtt, database, error: `Not healthy: ${problems.join(' and ')}.` };
  });
}

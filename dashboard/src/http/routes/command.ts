import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../access/principal.js';
import type { CommandSuccessResponse } from '../../api-types.js';
import { type CommandService, WAIT_MAX_S } from '../../commands/command-service.js';
import { parseParams, secondsParam } from '../query.js';

const commandQuery = { wait: secondsParam(WAIT_MAX_S) };

/**
 * `POST /api/command`: body `{device_id, …command fields}`; `?wait=N` waits up to N s for the ack. For
 * operators and admins; the sender goes into the trail.
 */
export function commandRoutes(app: FastifyInstance, deps: { commands: CommandService }): void {
  app.post(
    '/api/command',
    { config: { role: 'operator', action: 'sending commands and firmware updates' } },
    async (request): Promise<CommandSuccessResponse> => {
      const { wait } = parseParams(request.query, commandQuery);
      return deps.commands.send(request.body, wait, request.principal as Principal);
    },
  );
}

import { ACCEPTED, COMMAND_ACTIONS, commandSchema, DEVICE_ID_ACCEPTED, deviceIdSchema } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../access/principal.js';
import type { CommandSuccessResponse } from '../../api-types.js';
import { type CommandService, validateCommandRequest, WAIT_MAX_S } from '../../commands/command-service.js';
import { ValidationError } from '../../errors.js';
import { paramObject, secondsParam } from '../query.js';
import { commandSuccessSchema, errors } from '../schema/responses.js';
import { wordedBy } from '../schema/validation.js';

const commandQuery = paramObject({ wait: secondsParam(WAIT_MAX_S) });

const { v: _v, issued_at: _issued, device_id: _device, ...fields } = commandSchema.shape;
const described = Object.fromEntries(
  Object.entries(fields).map(([name, schema]) => {
    const accepted = (ACCEPTED as Record<string, string>)[name];
    return [name, accepted ? schema.meta({ description: accepted }) : schema];
  }),
) as typeof fields;

/**
 * The body: the contract's command without what the dashboard writes itself (`v`, `issued_at`), for one
 * device. Refused in the command service's words (shared/ explains each field).
 */
const commandBody = wordedBy(
  z.strictObject({ device_id: deviceIdSchema.meta({ description: DEVICE_ID_ACCEPTED }), ...described }).meta({
    description: `A JSON object with "device_id" and at least one of ${COMMAND_ACTIONS.join(', ')}`,
  }),
  (body) => {
    try {
      validateCommandRequest(body);
      return null;
    } catch (error) {
      return error instanceof ValidationError ? error.message : null;
    }
  },
);

/**
 * `POST /api/command`: body `{device_id, …command fields}`; `?wait=N` waits up to N s for the ack. For
 * operators and admins; the sender goes into the trail.
 */
export function commandRoutes(app: FastifyInstance, deps: { commands: CommandService }): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/command',
    {
      schema: {
        summary: 'Send a command to a device; with ?wait, wait for its ack',
        querystring: commandQuery,
        body: commandBody,
        response: {
          200: commandSuccessSchema,
          ...errors({
            400: 'A body or parameter that is not accepted (nothing is sent)',
            404: 'A device never seen',
            409: 'A command_id used before',
            413: 'A body over 16 KiB',
            422: 'The device rejected the command (with ?wait): its reason, the command_id and the ack',
            503: 'The broker is unreachable, or too many commands wait for their ack (nothing is sent)',
            504: 'No ack in time (with ?wait): the command was sent and may still be applied',
          }),
        },
      },
      config: { role: 'operator', action: 'sending commands and firmware updates' },
    },
    async (request): Promise<CommandSuccessResponse> => {
      return deps.commands.send(request.body, request.query.wait, request.principal as Principal);
    },
  );
}

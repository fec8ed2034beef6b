import type { Clock } from '@fleet/shared';
import { DEVICE_ID_ACCEPTED, deviceIdSchema } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../access/principal.js';
import type { RulesView } from '../../alerts/alert-settings.js';
import type { IncidentPage } from '../../alerts/alert-storage.js';
import type { Alerts } from '../../alerts/alerts.js';
import { CHANNEL_KINDS, type Channels, maskChannels, parseChannels } from '../../alerts/channels.js';
import { type Incident, RULE_UNITS } from '../../alerts/formats.js';
import type { ChannelResult } from '../../alerts/notifier.js';
import { type RuleOverride, ruleOverrideSchema } from '../../alerts/rules.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { integerParam, type ParamSpec, paramObject } from '../query.js';
import {
  channelsResponseSchema,
  channelTestSchema,
  incidentPageSchema,
  rulesViewSchema,
} from '../schema/alert-responses.js';
import { errors, noContent } from '../schema/responses.js';

const STATES = ['open', 'resolved', 'all'] as const;
const stateParam: ParamSpec<(typeof STATES)[number]> = {
  schema: z
    .enum(STATES)
    .optional()
    .transform((value) => value ?? 'all'),
  accepted: 'open, resolved or all (default all)',
};
const alertsQuery = paramObject({
  state: stateParam,
  device: { schema: deviceIdSchema.optional(), accepted: `a device id: ${DEVICE_ID_ACCEPTED}` },
  limit: integerParam(1, 500, 50),
  offset: integerParam(0, 1_000_000, 0),
});
const rulesPath = paramObject({ deviceId: { schema: deviceIdSchema, accepted: DEVICE_ID_ACCEPTED } });

const secretText = (accepted: string) =>
  z.string().max(2000).meta({ description: accepted, format: 'password' });
const tokenText = secretText('null, or 1 to 500 characters without spaces (sent as Authorization: Bearer)')
  .nullable()
  .optional();
const urlText = secretText('an http:// or https:// URL');
/** The channels body (checked field by field, masks included, by parseChannels). */
const channelsBody = z
  .strictObject({
    webhook: z.strictObject({ url: urlText, token: tokenText }).nullable().optional(),
    ntfy: z.strictObject({ url: urlText, token: tokenText }).nullable().optional(),
    slack: z.strictObject({ url: urlText }).nullable().optional(),
    telegram: z
      .strictObject({
        bot_token: secretText('a bot token as BotFather gives it'),
        chat_id: z.string().max(40).meta({ description: 'a chat id or "@channelname"' }),
      })
      .nullable()
      .optional(),
  })
  .meta({
    description: `a JSON object of channels (${CHANNEL_KINDS.join(', ')}), each an object, or null to remove it`,
  });

export interface AlertsPageResponse extends IncidentPage {
  limit: number;
  offset: number;
}
export interface ChannelsResponse {
  channels: Channels;
}
export interface ChannelTestResponse {
  results: ChannelResult[];
}

const admin = (action: string) => ({ role: 'admin' as const, action });

/** A sample incident for the test button: plainly marked as a test in every format. */
function sample(now: Date): Incident {
  return {
    id: 0,
    device_id: 'sample-device',
    rule: 'frost',
    state: 'open',
    opened_at: now.toISOString(),
    resolved_at: null,
    value: 1.5,
    threshold: 2,
    resolved_value: null,
    unit: RULE_UNITS.frost,
  };
}

/**
 * The alerts: incidents (`GET /api/alerts`, anyone who may read), rules (read by anyone, changed by admins)
 * and notification channels (admins; secrets answered masked).
 */
export function alertRoutes(app: FastifyInstance, deps: { alerts: Alerts; clock: Clock }): void {
  const { alerts, clock } = deps;
  const api = app.withTypeProvider<ZodTypeProvider>();
  const by = (request: { principal?: unknown }) => (request.principal as Principal).name;
  const now = () => clock.now().getTime();

  api.get(
    '/api/alerts',
    {
      schema: {
        summary: 'Alert incidents, open ones first, then the most recent',
        querystring: alertsQuery,
        response: { 200: incidentPageSchema, ...errors({ 400: 'A parameter that is not accepted' }) },
      },
    },
    async (request): Promise<AlertsPageResponse> => {
      const { state, device, limit, offset } = request.query;
      const page = await alerts.store.list({
        state,
        limit,
        offset,
        ...(device ? { deviceId: device } : {}),
      });
      return { ...page, limit, offset };
    },
  );

  api.get(
    '/api/alerts/rules',
    {
      schema: {
        summary: 'The alert rules: fleet defaults and device overrides',
        querystring: paramObject({}),
        response: { 200: rulesViewSchema },
      },
    },
    async (): Promise<RulesView> => {
      await alerts.settings.load(); // another replica may have changed them
      return alerts.settings.view();
    },
  );

  api.put(
    '/api/alerts/rules',
    {
      schema: {
        summary: "Change the fleet's default alert rules (the fields given)",
        body: ruleOverrideSchema(),
        response: { 200: rulesViewSchema, ...errors({ 400: 'A rule or value that is not accepted' }) },
      },
      config: admin('changing alert rules'),
    },
    async (request): Promise<RulesView> => {
      await alerts.settings.load();
      await alerts.settings.setDefaults(request.body as RuleOverride, by(request), now());
      request.log.info({ by: by(request), rules: request.body }, 'Alert rules (fleet defaults) changed');
      alerts.engine.reevaluateAll();
      return alerts.settings.view();
    },
  );

  api.put(
    '/api/alerts/rules/:deviceId',
    {
      schema: {
        summary: "Set a device's own alert rules (only the fields it changes)",
        params: rulesPath,
        body: ruleOverrideSchema(),
        response: { 200: rulesViewSchema, ...errors({ 400: 'A rule or value that is not accepted' }) },
      },
      config: admin('changing alert rules'),
    },
    async (request): Promise<RulesView> => {
      const { deviceId } = request.params;
      await alerts.settings.load();
      await alerts.settings.setDevice(deviceId, request.body as RuleOverride, by(request), now());
      request.log.info(
        { by: by(request), device_id: deviceId, rules: request.body },
        'Alert rules of a device changed',
      );
      alerts.engine.reevaluateAll();
      return alerts.settings.view();
    },
  );

  api.delete(
    '/api/alerts/rules/:deviceId',
    {
      schema: {
        summary: "Remove a device's own alert rules (the fleet defaults apply)",
        params: rulesPath,
        response: {
          204: noContent,
          ...errors({ 400: 'A device id that cannot be one', 404: 'The device has no rules of its own' }),
        },
      },
      config: admin('changing alert rules'),
    },
    async (request, reply) => {
      const { deviceId } = request.params;
      if (!(await alerts.settings.clearDevice(deviceId))) {
        throw new NotFoundError(
          `Device ${JSON.stringify(deviceId)} has no alert rules of its own; accepted: a device listed under "devices" by GET /api/alerts/rules.`,
        );
      }
      request.log.info({ by: by(request), device_id: deviceId }, 'Alert rules of a device removed');
      alerts.engine.reevaluateAll();
      return reply.code(204).send();
    },
  );

  api.get(
    '/api/alerts/channels',
    {
      schema: {
        summary: 'The notification channels, secrets masked',
        querystring: paramObject({}),
        response: { 200: channelsResponseSchema },
      },
      config: admin('managing notification channels'),
    },
    async (): Promise<ChannelsResponse> => {
      await alerts.settings.load();
      return { channels: maskChannels(alerts.settings.channels) };
    },
  );

  api.put(
    '/api/alerts/channels',
    {
      schema: {
        summary: 'Set or remove notification channels (a masked secret sent back keeps the stored one)',
        body: channelsBody,
        response: {
          200: channelsResponseSchema,
          ...errors({ 400: 'A channel or value that is not accepted' }),
        },
      },
      config: admin('managing notification channels'),
    },
    async (request): Promise<ChannelsResponse> => {
      await alerts.settings.load();
      const channels = parseChannels(request.body, alerts.settings.channels);
      await alerts.settings.setChannels(channels, by(request), now());
      const set = CHANNEL_KINDS.filter((kind) => channels[kind] !== null);
      request.log.info(
        { by: by(request), channels: set },
        `Notification channels changed: ${set.join(', ') || 'none'}`,
      );
      return { channels: maskChannels(channels) };
    },
  );

  api.post(
    '/api/alerts/channels/test',
    {
      schema: {
        summary: 'Send a sample notification to every channel set; the result of each',
        response: { 200: channelTestSchema, ...errors({ 409: 'No channel is set' }) },
      },
      config: admin('testing notification channels'),
    },
    async (): Promise<ChannelTestResponse> => {
      await alerts.settings.load();
      if (alerts.settings.channelKinds().length === 0) {
        throw new ConflictError(
          'No notification channel is set; accepted: a test once a channel is set with PUT /api/alerts/channels.',
        );
      }
      return { results: await alerts.notifier.sendTest({ event: 'test', incident: sample(clock.now()) }) };
    },
  );
}

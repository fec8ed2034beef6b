import { randomUUID } from 'node:crypto';
import {
  type Ack,
  type Clock,
  COMMAND_ACTIONS,
  type Command,
  DEVICE_ID_ACCEPTED,
  describeValue,
  type Logger,
  SCHEMA_VERSION,
  type Topics,
  validateCommand,
} from '@fleet/shared';
import type { Principal } from '../access/principal.js';
import type { CommandLogEntry, CommandSuccessResponse } from '../api-types.js';
import {
  AckTimeoutError,
  BrokerUnavailableError,
  CommandRejectedError,
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
  ValidationError,
} from '../errors.js';
import type { DashboardEvents } from '../events.js';
import type { Fleet } from '../fleet/fleet.js';
import type { BrokerConnection } from '../mqtt/broker-connection.js';
import { AckWaiters } from './ack-waiters.js';
import type { CommandTrail } from './command-trail.js';

export interface CommandServiceDeps {
  broker: Pick<BrokerConnection, 'connected' | 'publish'>;
  /** The fleet's topics (MQTT_TOPIC_ROOT): where commands go. */
  topics: Topics;
  /** Stamps `issued_at` on every command. */
  clock: Clock;
  fleet: Pick<Fleet, 'has' | 'contract'>;
  events: DashboardEvents;
  /** Where each command is recorded with who sent it and, later, the device's answer. */
  trail: CommandTrail;
  logger: Logger;
  newCommandId?: () => string;
  /** Commands waiting for their ack at most (default COMMAND_WAITS_MAX). */
  maxWaits?: number;
}

export const WAIT_MAX_S = 30;

/** Who sends a command, as the trail records it: a request's principal, or a bridge (Home Assistant). */
export type CommandSender = Pick<Principal, 'name'> & { kind: CommandLogEntry['by']['kind'] };

/** Fields of the contract that the dashboard writes itself: a request may not set them. */
const SET_BY_DASHBOARD = {
  v: 'the dashboard writes the version of the contract it speaks',
  issued_at: 'the dashboard stamps the time it sends the command (give ttl_s to say how long it stays valid)',
} as const;

/**
 * Sends commands to devices: validated whole before anything is published (a bad command never reaches the
 * broker), only to a device the dashboard has seen, and, when asked, waits for the device's ack. A device of
 * contract 2 gets `v` and `issued_at` (and `ttl_s` when given); one of contract 1 gets neither, since its
 * strict command schema would refuse them.
 */
export class CommandService {
  private readonly waiters: AckWaiters;
  /**
   * Commands being published, by id, with an ack that arrived before the broker's PUBACK was handled (both
   * can come in one read from the socket): it is applied to the trail once the command is recorded.
   */
  private readonly publishing = new Map<string, Ack | null>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: CommandServiceDeps) {
    this.waiters = new AckWaiters(deps.maxWaits);
  }

  start(): void {
    // The ingest has answered the trail in the ack's own transaction; an ack for a command still being
    // published (not in the trail yet) is kept for the trail here.
    this.unsubscribe ??= this.deps.events.on('ack', (ack) => {
      this.waiters.deliver(ack);
      if (ack.command_id !== null && this.publishing.has(ack.command_id)) {
        this.publishing.set(ack.command_id, ack);
      }
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.waiters.cancelAll();
  }

  /** Commands waiting for an ack now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /**
   * `body` is the request body: `{device_id, …command fields}`. `waitSeconds` 0 answers once the broker has
   * the command; more waits that long for the ack. `by` is who sends it, for the trail. Throws the HttpError
   * that becomes the response.
   */
  async send(body: unknown, waitSeconds: number, by: CommandSender): Promise<CommandSuccessResponse> {
    const command = validateCommandRequest(body);
    const deviceId = command.device_id as string;
    if (!this.deps.fleet.has(deviceId)) {
      throw new NotFoundError(
        `Device ${JSON.stringify(deviceId)} has never been seen by the dashboard; accepted: the id of a device that has sent data or status.`,
      );
    }
    if (command.command_id !== undefined && (await this.deps.trail.has(command.command_id))) {
      throw new ConflictError(
        `Field "command_id" received ${JSON.stringify(command.command_id)}, the id of a command sent before; accepted: an id not used yet, or none (the dashboard makes one).`,
      );
    }
    if (waitSeconds > 0 && this.waiters.full) {
      throw new ServiceUnavailableError(
        `Query parameter "wait" received ${waitSeconds}, but ${this.waiters.max} commands are waiting for their ack already, the most at once; nothing was sent: send it without "wait" (then read its outcome in GET /api/devices/:id/commands) or try again shortly.`,
      );
    }
    // A device of the previous release (contract 1) refuses a command with fields it does not know.
    const contract1 = this.deps.fleet.contract(deviceId) < 2;
    if (contract1 && command.ttl_s !== undefined) {
      throw new ValidationError(
        `Field "ttl_s" received ${command.ttl_s}; accepted: nothing for device ${JSON.stringify(deviceId)}, which runs a release of contract 1 that cannot expire commands (update its firmware first).`,
      );
    }
    const commandId = command.command_id ?? (this.deps.newCommandId ?? randomUUID)();
    const { device_id: _device, command_id: _id, ...fields } = command;
    const payload: Command = contract1
      ? { ...fields, device_id: deviceId, command_id: commandId }
      : {
          v: SCHEMA_VERSION,
          ...fields,
          device_id: deviceId,
          command_id: commandId,
          issued_at: this.deps.clock.now().toISOString(),
        };
    const record = async (outcome: 'no_answer' | 'not_sent', error: string | null = null) => {
      try {
        await this.deps.trail.record({
          commandId,
          deviceId,
          by: { name: by.name, kind: by.kind },
          command: fields,
          outcome,
          error,
        });
      } catch (failure) {
        // The command went (or not) all the same: the trail's failure is logged, not answered.
        this.deps.logger.error({ err: failure, command_id: commandId }, 'Could not record the command');
      }
    };
    if (!this.deps.broker.connected) {
      await record('not_sent', 'The MQTT broker was not reachable.');
      throw new BrokerUnavailableError(
        'The MQTT broker is not reachable, so the command was not sent; try again once /healthz reports "mqtt":"connected".',
      );
    }
    const waiter = waitSeconds > 0 ? this.waiters.wait(deviceId, commandId, waitSeconds * 1000) : null;
    this.publishing.set(commandId, null);
    try {
      await this.deps.broker.publish(this.deps.topics.commands(deviceId), JSON.stringify(payload));
    } catch (error) {
      this.publishing.delete(commandId);
      waiter?.cancel();
      this.deps.logger.warn(
        { device_id: deviceId, command_id: commandId, by: by.name, err: error },
        'Command not sent',
      );
      await record('not_sent', `The MQTT broker did not take it: ${(error as Error).message}`);
      throw new BrokerUnavailableError(
        `The MQTT broker did not take the command (${(error as Error).message}); try again once /healthz reports "mqtt":"connected".`,
      );
    }
    await record('no_answer');
    const early = this.publishing.get(commandId);
    this.publishing.delete(commandId);
    if (early) await this.answerInTrail(early);
    this.deps.logger.info(
      { device_id: deviceId, command_id: commandId, command: payload, by: by.name, by_kind: by.kind },
      'Command sent',
    );
    if (!waiter) return { status: 'success', command_id: commandId };
    const ack = await waiter.ack;
    if (!ack) {
      throw new AckTimeoutError(
        `Device ${JSON.stringify(deviceId)} did not acknowledge command ${JSON.stringify(commandId)} within ${waitSeconds} s; it was sent and may still be applied.`,
        { command_id: commandId },
      );
    }
    if (ack.status === 'rejected') {
      throw new CommandRejectedError(
        ack.error ?? `Device ${JSON.stringify(deviceId)} rejected the command.`,
        {
          command_id: commandId,
          ack,
        },
      );
    }
    return { status: 'success', command_id: commandId, ack };
  }

  /** The device's answer into the trail; false when no command there waited for it. */
  private async answerInTrail(ack: Ack): Promise<boolean> {
    try {
      return (await this.deps.trail.answer(ack)) !== null;
    } catch (error) {
      this.deps.logger.error({ err: error, command_id: ack.command_id }, 'Could not record the answer');
      return false;
    }
  }
}

/**
 * A command request's body, `{device_id, …command fields}`, checked whole: the first problem throws a
 * ValidationError sentence naming the field, what was received and what is accepted.
 */
export function validateCommandRequest(body: unknown): Command & { device_id: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError(
      `The request body received ${describeValue(body)}; accepted: a JSON object with "device_id" and at least one of ${COMMAND_ACTIONS.join(', ')}.`,
    );
  }
  const fields = body as Record<string, unknown>;
  if (fields.device_id === undefined) {
    throw new ValidationError(`Field "device_id" received nothing; accepted: ${DEVICE_ID_ACCEPTED}.`);
  }
  for (const [field, why] of Object.entries(SET_BY_DASHBOARD)) {
    if (fields[field] !== undefined) {
      throw new ValidationError(
        `Field ${JSON.stringify(field)} received ${describeValue(fields[field])}; accepted: nothing, ${why}.`,
      );
    }
  }
  const result = validateCommand(fields);
  if (!result.ok) throw new ValidationError(result.error);
  return result.value as Command & { device_id: string };
}

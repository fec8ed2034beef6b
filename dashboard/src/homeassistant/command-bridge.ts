import {
  type Clock,
  COMMAND_ACTIONS,
  describeValue,
  type Logger,
  MESSAGE_MAX_BYTES,
  type Topics,
} from '@fleet/shared';
import type { CommandSender, CommandService } from '../commands/command-service.js';
import { HttpError } from '../errors.js';
import type { IncomingMessage } from '../mqtt/broker-connection.js';

/** Who commands from the bridge topic are from, in the trail and the logs. */
export const HOME_ASSISTANT_SENDER: CommandSender = Object.freeze({ name: 'homeassistant', kind: 'mqtt' });

export interface CommandBridgeDeps {
  commands: Pick<CommandService, 'send'>;
  /** The fleet's topics: `{root}/{id}/set` is where commands come. */
  topics: Topics;
  clock: Clock;
  logger: Logger;
  /** How long a `set` message sent on is remembered against a redelivery (default 10 min). */
  rememberMs?: number;
  /** At most this many remembered (default 10 000; the oldest are forgotten first). */
  rememberMax?: number;
}

/**
 * Home Assistant's commands: a JSON object of command fields on `{root}/{id}/set` (`{"intervalle": 30}`)
 * goes through the dashboard's CommandService, like a command from the page: validated whole with the
 * shared command schema, sent only to a known device, with a command_id, issued_at and the device's ack in
 * the trail, by "homeassistant". Bad input is one logged sentence and nothing is sent; its message is
 * acknowledged (sending it again would not make it valid).
 *
 * The message's PUBACK waits until the command is in the trail and the broker has taken it, so a dashboard
 * that stops before loses nothing: the broker delivers the message again. A redelivery (MQTT DUP flag) of a
 * message already sent on, in this run, is recognised by device, packet id and payload and not sent twice.
 * After a restart in the short window between sending it on and acknowledging it, the broker's redelivery
 * is sent again as a new command: a setting set twice to one value ends the same; read_now takes one more
 * reading; a second update_firmware to the version now running is rejected by the device.
 */
export class CommandBridge {
  /** Recently sent on, by key (device, packet id, payload): when, and the command id it became. */
  private readonly sent = new Map<string, { at: number; commandId: string }>();
  private readonly rememberMs: number;
  private readonly rememberMax: number;
  private readonly log: Logger;

  constructor(private readonly deps: CommandBridgeDeps) {
    this.rememberMs = deps.rememberMs ?? 600_000;
    this.rememberMax = deps.rememberMax ?? 10_000;
    this.log = deps.logger.child({ component: 'homeassistant' });
  }

  /**
   * Handles one message of `{root}/+/set`; the promise holds its PUBACK. It rejects only when the broker did
   * not take the command (the message then comes again on the next connection).
   */
  handle(message: IncomingMessage): Promise<void> | undefined {
    const deviceId = this.deps.topics.parseSet(message.topic);
    if (deviceId === null)
      return this.refuse(
        message,
        `Topic ${JSON.stringify(message.topic)} is not ${this.deps.topics.root}/{id}/set.`,
      );
    if (message.retain) {
      return this.refuse(
        message,
        `The message on ${message.topic} is retained; accepted: a command published without retain (a retained one would be sent again at every start).`,
      );
    }
    if (message.payload.length > MESSAGE_MAX_BYTES) {
      return this.refuse(
        message,
        `The message received has ${message.payload.length} bytes; accepted: at most ${MESSAGE_MAX_BYTES} bytes.`,
      );
    }
    const key = `${deviceId}\u0000${message.messageId ?? ''}\u0000${message.payload.toString('base64')}`;
    const now = this.deps.clock.now().getTime();
    this.expire(now);
    const earlier = message.dup ? this.sent.get(key) : undefined;
    if (earlier) {
      this.log.info(
        { device_id: deviceId, command_id: earlier.commandId, topic: message.topic },
        'A redelivered Home Assistant command was sent already; not sending it again',
      );
      return undefined;
    }
    const fields = parseFields(message.payload, deviceId);
    if (typeof fields === 'string') return this.refuse(message, fields, deviceId);
    return this.deps.commands.send({ ...fields, device_id: deviceId }, 0, HOME_ASSISTANT_SENDER).then(
      (result) => {
        this.remember(key, { at: now, commandId: result.command_id });
        this.log.info(
          { device_id: deviceId, command_id: result.command_id, command: fields },
          'Home Assistant command sent',
        );
      },
      (error: unknown) => {
        // The broker did not take it (503): no PUBACK, so it comes again once the broker is back.
        if (error instanceof HttpError && error.statusCode !== 503) {
          this.refuse(message, error.message, deviceId);
          return;
        }
        throw error;
      },
    );
  }

  private refuse(message: IncomingMessage, error: string, deviceId?: string): undefined {
    this.log.warn(
      { topic: message.topic, ...(deviceId ? { device_id: deviceId } : {}), error },
      `Home Assistant command not sent: ${error}`,
    );
    return undefined;
  }

  private remember(key: string, entry: { at: number; commandId: string }): void {
    this.sent.set(key, entry);
    while (this.sent.size > this.rememberMax) {
      const oldest = this.sent.keys().next().value;
      if (oldest === undefined) break;
      this.sent.delete(oldest);
    }
  }

  private expire(now: number): void {
    for (const [key, entry] of this.sent) {
      if (now - entry.at < this.rememberMs) break;
      this.sent.delete(key);
    }
  }
}

/** The command fields of a set message, or the sentence saying what is wrong with it. */
function parseFields(payload: Buffer, deviceId: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return `The message received ${describeValue(payload.toString('utf8').slice(0, 80))}, which is not JSON; accepted: a JSON object with at least one of ${COMMAND_ACTIONS.join(', ')}.`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `The message received ${describeValue(value)}; accepted: a JSON object with at least one of ${COMMAND_ACTIONS.join(', ')}.`;
  }
  const fields = value as Record<string, unknown>;
  if (fields.device_id !== undefined && fields.device_id !== deviceId) {
    return `Field "device_id" received ${describeValue(fields.device_id)}; accepted: ${JSON.stringify(deviceId)}, the device of the topic, or nothing.`;
  }
  return fields;
}

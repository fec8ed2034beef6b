import {
  type Ack,
  type Command,
  commandExpiry,
  commandIdSchema,
  type Logger,
  parseCommand,
  parseJsonObject,
  type Topics,
} from '@fleet/shared';
import type { DeviceClock } from '../clock/types.js';
import type { MessageLink } from '../mqtt/types.js';
import type { RememberedAck } from '../storage/edge-store.js';
import { buildAck } from './message-builders.js';
import { changedFields, type EdgeSettings, nextSettings } from './settings.js';

/** What a command asks for, once checked: applied together, in one write, or not at all. */
export interface CommandPlan {
  /** The settings after the command, when it changes any. */
  settings: EdgeSettings | null;
  /** The update to start. */
  update: { target: string; commandId: string | null } | null;
  readNow: boolean;
}

/** A command refused for a reason the device found while applying it (e.g. the sensor cannot be read). */
export class CommandRefusal extends Error {}

/** What a command can act on: the device, seen through the few things a command may do. */
export interface CommandTarget {
  readonly settings: EdgeSettings;
  readonly firmware: string;
  /** The sentence saying why an update to `target` cannot start now, or null when it can. Changes nothing. */
  checkUpdate(target: string): string | null;
  /**
   * Applies the plan: its effects and `remembered` (the ack) in one write, then puts them in use. Throws,
   * having changed nothing, when the write fails (or a CommandRefusal with its sentence).
   */
  apply(plan: CommandPlan, remembered: RememberedAck | null): Promise<void>;
  /** Republishes the retained status. */
  publishStatus(): void;
}

/** The device's memory of recent commands (EdgeStore). */
export interface CommandMemoryPort {
  recall(commandId: string): Ack | null;
  rememberRejection(remembered: RememberedAck): boolean;
}

export interface CommandHandlerOptions {
  deviceId: string;
  target: CommandTarget;
  memory: CommandMemoryPort;
  link: MessageLink;
  logger: Logger;
  clock: DeviceClock;
  /** The fleet's topics, under MQTT_TOPIC_ROOT. */
  topics: Topics;
}

/**
 * Applies the commands of `{root}/{id}/commands`, one at a time in arrival order, whole or not at all, and
 * once:
 * - a command whose `command_id` was seen recently gets the same ack again and changes nothing;
 * - an expired command (older than its time to live, by a synchronised clock) is rejected;
 * - everything else is checked first (the payload, the device id, whether an update can start, whether a
 *   reading can be taken), then its effects and its ack are written in one transaction, and only then put
 *   in use. A write that fails rejects the command with a sentence and changes nothing.
 * `receive()` resolves once the effect, or the rejection's record, is on disk: the broker's PUBACK follows.
 */
export class CommandHandler {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly ackTopic: string;

  constructor(private readonly options: CommandHandlerOptions) {
    this.ackTopic = options.topics.ack(options.deviceId);
  }

  /** Queues a raw payload; resolves with its ack once it is handled and the ack is on its way. */
  receive(payload: Buffer | string): Promise<Ack> {
    const result = this.queue.then(() => this.handle(payload));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every command received so far is handled. */
  async idle(): Promise<void> {
    await this.queue;
  }

  private async handle(payload: Buffer | string): Promise<Ack> {
    const { target, logger, memory, clock } = this.options;
    const parsed = parseCommand(payload, this.options.deviceId);
    if (!parsed.ok) return this.reject(commandIdOf(payload), parsed.error, false);
    const command = parsed.value;
    const commandId = command.command_id ?? null;

    if (commandId !== null) {
      const earlier = memory.recall(commandId);
      if (earlier) {
        logger.info(
          { command_id: commandId, status: earlier.status },
          'command seen before; its ack is sent again, nothing changes',
        );
        this.publishAck(earlier);
        return earlier;
      }
    }
    const problem = commandExpiry(command, clock.now(), clock.synced()) ?? this.check(command);
    if (problem) return this.reject(commandId, problem, true);

    const before = target.settings;
    const next = nextSettings(before, command);
    const changes = changedFields(before, next);
    const plan: CommandPlan = {
      settings: changes.length > 0 ? next : null,
      update: command.update_firmware !== undefined ? { target: command.update_firmware, commandId } : null,
      readNow: command.read_now === true,
    };
    const ack = this.ackOf(commandId, null, next);
    try {
      await target.apply(plan, this.remembered(commandId, ack));
    } catch (error) {
      const sentence =
        error instanceof CommandRefusal
          ? error.message
          : `The command could not be saved on the device (${(error as Error).message}); nothing was changed.`;
      return this.reject(commandId, sentence, error instanceof CommandRefusal);
    }
    logger.info(
      {
        command_id: commandId,
        changed: Object.fromEntries(
          changes.map((field) => [field, { from: before[field], to: next[field] }]),
        ),
        update_firmware: command.update_firmware,
        read_now: command.read_now,
      },
      'command applied',
    );
    this.publishAck(ack);
    if (changes.length > 0) target.publishStatus();
    return ack;
  }

  /** The checks beyond the message format, which depend on the state of the device. */
  private check(command: Command): string | null {
    const { target } = this.options;
    if (command.update_firmware !== undefined) {
      const problem = target.checkUpdate(command.update_firmware);
      if (problem) return problem;
    }
    const activeAfter = command.actif ?? target.settings.actif;
    if (command.read_now && !activeAfter) {
      return 'Field "read_now" received true; accepted: only while the device is active ("actif" is false; send {"actif": true} first).';
    }
    return null;
  }

  /**
   * Rejects a command: its ack is remembered when `remember` (a redelivery gets the same answer; a payload that
   * does not parse needs no memory, it is rejected the same way again), then sent.
   */
  private reject(commandId: string | null, error: string, remember: boolean): Ack {
    this.options.logger.info({ command_id: commandId, error }, 'command rejected');
    const ack = this.ackOf(commandId, error, this.options.target.settings);
    const remembered = remember ? this.remembered(commandId, ack) : null;
    if (remembered) this.options.memory.rememberRejection(remembered);
    this.publishAck(ack);
    return ack;
  }

  private remembered(commandId: string | null, ack: Ack): RememberedAck | null {
    if (commandId === null) return null;
    const { clock } = this.options;
    return { commandId, ack, receivedAt: clock.synced() ? clock.now() : null };
  }

  private ackOf(commandId: string | null, error: string | null, settings: EdgeSettings): Ack {
    const { target, clock } = this.options;
    return buildAck({
      deviceId: this.options.deviceId,
      commandId,
      error,
      settings,
      firmware: target.firmware,
      now: clock.now(),
    });
  }

  private publishAck(ack: Ack): void {
    const { link, logger } = this.options;
    // Not awaited: while the link is down mqtt.js keeps the ack and sends it on reconnect.
    link.publish(this.ackTopic, JSON.stringify(ack)).catch((publishError: unknown) => {
      logger.warn({ command_id: ack.command_id, err: (publishError as Error).message }, 'ack not delivered');
    });
  }
}

/** The command id of a payload that was rejected, when it has a usable one, so the sender can match the ack. */
function commandIdOf(payload: Buffer | string): string | null {
  const json = parseJsonObject(payload, 'The command');
  if (!json.ok) return null;
  const id = commandIdSchema.safeParse(json.value.command_id);
  return id.success ? id.data : null;
}

import {
  type Ack,
  type Clock,
  type Command,
  commandIdSchema,
  type DeviceSettings,
  type Logger,
  parseCommand,
  parseJsonObject,
  type Topics,
} from '@fleet/shared';
import type { MessageLink } from '../mqtt/types.js';
import { buildAck } from './message-builders.js';

/** What a command can act on: the device, seen through the few things a command may do. */
export interface CommandTarget {
  readonly settings: DeviceSettings;
  readonly firmware: string;
  /** The sentence saying why an update to `target` cannot start now, or null when it can. Changes nothing. */
  checkUpdate(target: string): string | null;
  /** Saves the settings and puts them in use; throws, having changed nothing, when they cannot be saved. */
  applySettings(next: DeviceSettings): Promise<void>;
  beginUpdate(target: string, commandId: string | null): void;
  readNow(): void;
  /** Republishes the retained status. */
  publishStatus(): void;
}

export interface CommandHandlerOptions {
  deviceId: string;
  target: CommandTarget;
  link: MessageLink;
  logger: Logger;
  clock: Clock;
  /** The fleet's topics, under MQTT_TOPIC_ROOT. */
  topics: Topics;
}

const SETTING_FIELDS = ['mode', 'intervalle', 'seuil_alerte', 'actif'] as const;

/**
 * Applies the commands of `devices/{id}/commands`, one at a time in arrival order, whole or not at all:
 * everything is checked first (the payload, the device id, whether an update can start, whether a reading
 * can be taken), then the settings are saved, and only then is anything put in use. Every command gets an
 * ack on `devices/{id}/ack` with the settings and firmware after it.
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
    const { target, logger } = this.options;
    const parsed = parseCommand(payload, this.options.deviceId);
    if (!parsed.ok) return this.reject(commandIdOf(payload), parsed.error);
    const command = parsed.value;
    const commandId = command.command_id ?? null;

    const problem = this.check(command);
    if (problem) return this.reject(commandId, problem);

    const before = target.settings;
    const next = nextSettings(before, command);
    const changes = changedFields(before, next);
    if (changes.length > 0) {
      try {
        await target.applySettings(next);
      } catch (error) {
        return this.reject(
          commandId,
          `The command could not be saved on the device (${(error as Error).message}); nothing was changed.`,
        );
      }
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
    const ack = this.sendAck(commandId, null);
    // The OTA simulator announces its first state itself (and every later one).
    if (command.update_firmware !== undefined) target.beginUpdate(command.update_firmware, commandId);
    if (changes.length > 0) target.publishStatus();
    if (command.read_now) target.readNow();
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

  private reject(commandId: string | null, error: string): Ack {
    this.options.logger.info({ command_id: commandId, error }, 'command rejected');
    return this.sendAck(commandId, error);
  }

  private sendAck(commandId: string | null, error: string | null): Ack {
    const { target, link, logger, clock } = this.options;
    const ack = buildAck({
      deviceId: this.options.deviceId,
      commandId,
      error,
      settings: target.settings,
      firmware: target.firmware,
      now: clock.now(),
    });
    // Not awaited: while the link is down mqtt.js keeps the ack and sends it on reconnect.
    link.publish(this.ackTopic, JSON.stringify(ack)).catch((publishError: unknown) => {
      logger.warn({ command_id: commandId, err: (publishError as Error).message }, 'ack not delivered');
    });
    return ack;
  }
}

function nextSettings(current: DeviceSettings, command: Command): DeviceSettings {
  return {
    mode: command.mode ?? current.mode,
    intervalle: command.intervalle ?? current.intervalle,
    seuil_alerte: command.seuil_alerte ?? current.seuil_alerte,
    actif: command.actif ?? current.actif,
  };
}

function changedFields(before: DeviceSettings, after: DeviceSettings): Array<keyof DeviceSettings> {
  return SETTING_FIELDS.filter((field) => before[field] !== after[field]);
}

/** The command id of a payload that was rejected, when it has a usable one, so the sender can match the ack. */
function commandIdOf(payload: Buffer | string): string | null {
  const json = parseJsonObject(payload, 'The command');
  if (!json.ok) return null;
  const id = commandIdSchema.safeParse(json.value.command_id);
  return id.success ? id.data : null;
}

import type { Logger } from '@fleet/shared';
import { withTimeout } from './with-timeout.js';

export interface CommandDispatchOptions {
  logger: Logger;
  /** How long the handlers may take before the command is left unacknowledged and the link reads on. */
  timeoutMs: number;
}

/**
 * Hands each command to the handlers and decides whether the broker may be told it was handled (PUBACK).
 *
 * - Every handler's promise resolved: the command's effect, or its rejection, is on disk; PUBACK.
 * - A handler's promise rejected: nothing of the command could be recorded (storage failed before even its
 *   rejection was kept). No PUBACK: the broker keeps the command and delivers it again at the next
 *   connection (MQTT 3.1.1 redelivers unacknowledged messages on reconnect only, so it does not loop while
 *   the connection lasts), when the storage may work again. Acknowledging it would lose it for good.
 * - No settlement within `timeoutMs`: the same, so that a storage call that hangs does not stop the link
 *   from reading its other packets (mqtt.js reads nothing else, PUBACKs of telemetry and PINGRESPs included,
 *   while a command waits). If the handler finishes later, a redelivered copy finds its command id in the
 *   device's memory of commands and gets the same ack.
 *
 * A handler must therefore never wait for a PUBACK of its own (e.g. of the ack it publishes): that PUBACK
 * is only read once the handler has settled.
 */
export class CommandDispatch {
  private readonly handlers: Array<(payload: Buffer) => Promise<unknown>> = [];

  constructor(private readonly options: CommandDispatchOptions) {}

  add(handler: (payload: Buffer) => Promise<unknown>): void {
    this.handlers.push(handler);
  }

  /** Resolves when the command may be acknowledged; rejects (with the reason, logged) when it may not. */
  async dispatch(payload: Buffer, messageId?: number): Promise<void> {
    const { logger, timeoutMs } = this.options;
    if (this.handlers.length === 0) {
      logger.warn(
        { message_id: messageId },
        'a command arrived before anything handles commands; not acknowledged',
      );
      throw new Error('no command handler');
    }
    try {
      await withTimeout(Promise.all(this.handlers.map((handler) => handler(payload))), timeoutMs);
    } catch (error) {
      logger.error(
        { message_id: messageId, err: (error as Error).message },
        `a command could not be recorded (${(error as Error).message}); it is not acknowledged, so the broker delivers it again at the next connection`,
      );
      throw error;
    }
  }
}

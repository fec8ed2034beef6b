import type { Logger } from '@fleet/shared';
import type { IncomingMessage, MessageHandler } from './broker-types.js';
import type { IncomingPublish } from './held-pubacks.js';

/**
 * Gives a received PUBLISH to `handlers` as an IncomingMessage. A handler that throws is logged and the others
 * still get the message; gives what the message's PUBACK waits for (the handlers' promises), or undefined
 * when it need not wait.
 */
export function dispatchMessage(
  packet: IncomingPublish,
  handlers: Iterable<MessageHandler>,
  log: Logger,
): Promise<void> | undefined {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const message: IncomingMessage = {
    topic: packet.topic,
    payload,
    retain: packet.retain,
    dup: packet.dup === true,
    ...(packet.messageId === undefined ? {} : { messageId: packet.messageId }),
  };
  const waits: Array<Promise<void>> = [];
  for (const handler of handlers) {
    try {
      const settled = handler(message);
      if (settled) waits.push(settled);
    } catch (error) {
      log.error({ err: error, topic: message.topic }, 'A message handler failed');
    }
  }
  if (waits.length === 0) return undefined;
  return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
}

import { type Logger, QOS } from '@fleet/shared';
import type { MqttClient } from 'mqtt';

/**
 * Publishes at QoS 1 (retained when asked) and resolves once the broker has acknowledged it (PUBACK); rejects
 * when it has not within `timeoutMs`, and mqtt.js then forgets the message.
 */
export function publishAcked(
  client: MqttClient,
  log: Logger,
  topic: string,
  payload: string,
  options: { retain: boolean; timeoutMs: number },
): Promise<void> {
  const { timeoutMs } = options;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let messageId: number | undefined;
    const timer = setTimeout(() => {
      settled = true;
      // Forget it, so mqtt.js does not send it again after a reconnect once we have said it failed.
      if (messageId !== undefined) client.removeOutgoingMessage(messageId);
      reject(new Error(`The MQTT broker did not acknowledge the publish within ${timeoutMs} ms.`));
    }, timeoutMs);
    const before = client.getLastMessageId();
    client.publish(topic, payload, { qos: QOS, retain: options.retain }, (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else {
        log.debug({ topic, bytes: payload.length }, 'Published');
        resolve();
      }
    });
    // mqtt.js numbers the publish synchronously unless its store is busy replaying; then it has no id yet.
    const after = client.getLastMessageId();
    if (after !== before) messageId = after;
  });
}

import {
  type Clock,
  type Logger,
  parseAck,
  parseStatus,
  parseTelemetry,
  parseTopic,
  type Result,
} from '@fleet/shared';
import type { Fleet } from '../fleet/fleet.js';
import type { IncomingMessage } from '../mqtt/broker-connection.js';
import type { TelemetryStore } from '../storage/telemetry-store.js';
import { InvalidMessages } from './invalid-messages.js';

export interface IngestDeps {
  store: Pick<TelemetryStore, 'enqueue'>;
  fleet: Pick<Fleet, 'recordStatus' | 'recordAck'>;
  clock: Clock;
  logger: Logger;
}

/**
 * Turns MQTT messages into stored readings and fleet changes. Every payload is validated with the shared
 * contract and must name the device of its topic; an invalid one is counted and logged, never stored.
 */
export class Ingest {
  readonly invalid: InvalidMessages;
  private accepted = 0;

  constructor(private readonly deps: IngestDeps) {
    this.invalid = new InvalidMessages(deps.clock, deps.logger.child({ component: 'ingest' }));
  }

  /** Valid messages so far. */
  get acceptedCount(): number {
    return this.accepted;
  }

  handle(message: IncomingMessage): void {
    const topic = parseTopic(message.topic);
    if (!topic) {
      this.reject(message.topic, `Topic ${JSON.stringify(message.topic)} is not devices/{id}/{kind}.`);
      return;
    }
    const { deviceId, kind } = topic;
    switch (kind) {
      case 'data': {
        const telemetry = this.check(parseTelemetry(message.payload), deviceId, message.topic);
        if (telemetry) this.deps.store.enqueue(telemetry);
        return;
      }
      case 'status': {
        const status = this.check(parseStatus(message.payload), deviceId, message.topic);
        if (status) this.deps.fleet.recordStatus(status, message.retain);
        return;
      }
      case 'ack': {
        const ack = this.check(parseAck(message.payload), deviceId, message.topic);
        if (ack) this.deps.fleet.recordAck(ack);
        return;
      }
      default:
        // Commands are not subscribed to; one arriving anyway is not the dashboard's to store.
        return;
    }
  }

  private check<T extends { device_id: string }>(
    result: Result<T>,
    deviceId: string,
    topic: string,
  ): T | null {
    if (!result.ok) {
      this.reject(topic, result.error, deviceId);
      return null;
    }
    if (result.value.device_id !== deviceId) {
      this.reject(
        topic,
        `Field "device_id" received ${JSON.stringify(result.value.device_id)}; accepted: ${JSON.stringify(deviceId)}, the device of the topic.`,
        deviceId,
      );
      return null;
    }
    this.accepted += 1;
    return result.value;
  }

  private reject(topic: string, error: string, deviceId = topic.split('/')[1] ?? ''): void {
    this.invalid.record(deviceId.slice(0, 64), topic, error);
  }
}

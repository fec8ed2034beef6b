import { type Clock, type Logger, parseTelemetry, type Topics } from '@fleet/shared';
import type { StoredReading } from '../api-types.js';
import type { Fleet } from '../fleet/fleet.js';
import { trustedTime } from '../ingest/trusted-time.js';
import type { IncomingMessage } from './broker-connection.js';

export interface LiveReadingsDeps {
  fleet: Pick<Fleet, 'live' | 'has' | 'size'>;
  topics: Topics;
  clock: Clock;
  logger: Logger;
  /** Devices known at most (MAX_DEVICES): a new device beyond it is not shown live either. */
  maxDevices?: number;
  /** Readings remembered per device to recognise a redelivery (default 8). */
  remembered?: number;
}

/**
 * The live push of a replica (MQTT_SHARE_GROUP): every reading, from LiveConnection's QoS 0 copy, whichever
 * replica stores it (through its shared QoS 1 subscription). Valid readings go to `fleet.live()`, which announces them; nothing is
 * written and nothing acknowledged (QoS 0), so the ingest's counts and the database see each reading once,
 * from the replica that stores it. An invalid message is dropped here (the storing replica counts and logs
 * it). A reading already announced (the same device, epoch, seq and timestamp among the device's last
 * `remembered`, 8) is not announced again: a device's redelivery after a restart.
 */
export class LiveReadings {
  private readonly recent = new Map<string, string[]>();
  private readonly log: Logger;
  private shown = 0;

  constructor(private readonly deps: LiveReadingsDeps) {
    this.log = deps.logger.child({ component: 'live' });
  }

  /** Readings announced so far. */
  get announced(): number {
    return this.shown;
  }

  /** Announces a reading of `{root}/+/data` (LiveConnection); anything else is left alone. */
  handle(message: IncomingMessage): void {
    const topic = this.deps.topics.parse(message.topic);
    if (topic?.kind !== 'data') return;
    const result = parseTelemetry(message.payload);
    if (!result.ok || result.value.device_id !== topic.deviceId) {
      this.log.debug({ topic: message.topic }, 'An invalid reading is not shown live');
      return;
    }
    const { deviceId } = topic;
    const known = this.deps.fleet.has(deviceId);
    if (!known && this.deps.fleet.size >= (this.deps.maxDevices ?? 20_000)) return;
    const telemetry = result.value;
    const key = `${telemetry.epoch ?? ''}:${telemetry.seq}:${telemetry.timestamp}`;
    const seen = this.recent.get(deviceId) ?? [];
    if (seen.includes(key)) return;
    seen.push(key);
    if (seen.length > (this.deps.remembered ?? 8)) seen.shift();
    this.recent.set(deviceId, seen);
    const receivedAt = this.deps.clock.now().getTime();
    const reading = telemetry as StoredReading;
    reading.received_at = new Date(receivedAt).toISOString();
    reading.trusted_at = new Date(trustedTime(telemetry, receivedAt)).toISOString();
    this.shown += 1;
    this.deps.fleet.live(reading, receivedAt);
  }
}

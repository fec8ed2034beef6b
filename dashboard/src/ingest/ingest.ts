import {
  type Clock,
  MESSAGE_MAX_BYTES,
  parseAck,
  parseAvailability,
  parseStatus,
  parseTelemetry,
  type Result,
  type Topics,
} from '@fleet/shared';
import type { StoredReading } from '../api-types.js';
import type { Fleet } from '../fleet/fleet.js';
import type { Tombstones } from '../fleet/tombstones.js';
import type { IncomingMessage } from '../mqtt/broker-connection.js';
import type { ReadingStore } from '../storage/reading-store.js';
import {
  applyWritten,
  type ChangeWriterDeps,
  type IngestChange,
  type WrittenGroup,
  writeChanges,
  writeChangesTo,
} from './changes.js';
import { DeviceCap } from './device-cap.js';
import { GroupCommit, type WriteFailure } from './group-commit.js';
import { IgnoredFields } from './ignored-fields.js';
import { InvalidMessages } from './invalid-messages.js';
import { trustedTime } from './trusted-time.js';

export const MAX_GROUP = 4000;

export interface IngestDeps extends ChangeWriterDeps {
  fleet: Pick<Fleet, 'draft' | 'adopt' | 'has' | 'size'>;
  /** The fleet's topics (MQTT_TOPIC_ROOT). */
  topics: Topics;
  clock: Clock;
  /**
   * Messages per transaction at most (default MAX_GROUP, 4000; 1: a commit per message). Live traffic makes
   * groups of what arrives in one turn of the event loop; a backlog fills them, and larger groups write each
   * index page fewer times (about 10 % less CPU per message at 4000 than at 1000, dashboard/bench/drain.mjs).
   */
  maxGroup?: number;
  /** First delay between attempts while the database fails (default 250 ms, doubling to 5 s). */
  retryInitialMs?: number;
  /** Forgotten devices: their retained messages are ignored until they send a live one. */
  tombstones?: Pick<Tombstones, 'admits'>;
  /** Devices known at most (MAX_DEVICES, default 20 000): see DeviceCap. */
  maxDevices?: number;
  /** DATABASE_URL: readings go to PostgreSQL (asynchronously), then the trail's answers (PostgreSQL's trail). */
  readings?: Pick<ReadingStore, 'writeReadings' | 'deliveryOf'>;
}

/**
 * Turns MQTT messages into stored readings and fleet changes. Every payload is validated with the shared
 * contract and must name the device of its topic; an invalid one is counted and logged, never stored.
 * `handle()` resolves once the message's effects are committed to the database (the PUBACK waits for it);
 * messages that arrive together are committed together (GroupCommit). A payload over MESSAGE_MAX_BYTES is
 * counted as invalid without being parsed; a new device beyond MAX_DEVICES is counted, not stored (DeviceCap).
 */
export class Ingest {
  readonly invalid: InvalidMessages;
  readonly ignored: IgnoredFields;
  readonly cap: DeviceCap;
  private accepted = 0;
  /** The last receive time and its ISO string: the messages of one millisecond share it. */
  private lastReceivedAt = Number.NaN;
  private lastReceivedIso = '';
  private readonly commits: GroupCommit<IngestChange, WrittenGroup>;

  constructor(private readonly deps: IngestDeps) {
    const logger = deps.logger.child({ component: 'ingest' });
    this.invalid = new InvalidMessages(deps.clock, logger);
    this.ignored = new IgnoredFields(logger);
    this.cap = new DeviceCap({
      fleet: deps.fleet,
      maxDevices: deps.maxDevices ?? 20_000,
      clock: deps.clock,
      logger,
    });
    this.commits = new GroupCommit({
      write: deps.readings
        ? (changes) => writeChangesTo(deps.readings as NonNullable<IngestDeps['readings']>, deps, changes)
        : (changes) => writeChanges(deps, changes),
      afterWrite: (changes, written) => {
        this.cap.committed(changes.map(deviceOf));
        applyWritten(deps, written);
      },
      maxGroup: deps.maxGroup ?? MAX_GROUP,
      logger: deps.logger.child({ component: 'storage' }),
      ...(deps.retryInitialMs ? { retryInitialMs: deps.retryInitialMs } : {}),
    });
  }

  /** Valid messages so far. */
  get acceptedCount(): number {
    return this.accepted;
  }

  /** Why the database cannot be written now; null while it can. */
  get failing(): WriteFailure | null {
    return this.commits.failing;
  }

  /** Messages waiting for their commit. */
  get pending(): number {
    return this.commits.pending;
  }

  /** Commits what waits now (read-your-writes for the API); false when the database refuses. */
  flush(): boolean {
    return this.commits.flush();
  }

  /** Resolves once no asynchronous group write (PostgreSQL) is under way. */
  settled(): Promise<void> {
    return this.commits.settled();
  }

  /** Stops retrying; what was not committed is not acknowledged, so the broker sends it again. */
  stop(): void {
    this.commits.stop();
  }

  /** Resolves when the message is committed, or at once when there is nothing to store. */
  handle(message: IncomingMessage): Promise<void> {
    const change = this.read(message);
    if (!change) return Promise.resolve();
    const deviceId = deviceOf(change);
    if (this.deps.tombstones?.admits(deviceId, message.retain) === false) return Promise.resolve();
    if (!this.cap.admits(deviceId)) return Promise.resolve();
    return this.commits.add(change);
  }

  private read(message: IncomingMessage): IngestChange | null {
    const topic = this.deps.topics.parse(message.topic);
    if (!topic) {
      this.reject(
        message.topic,
        `Topic ${JSON.stringify(message.topic)} is not ${this.deps.topics.root}/{id}/{kind}.`,
      );
      return null;
    }
    const { deviceId, kind } = topic;
    const { payload, retain } = message;
    if (payload.length > MESSAGE_MAX_BYTES) {
      this.reject(
        message.topic,
        `The message received has ${payload.length} bytes; accepted: at most ${MESSAGE_MAX_BYTES} bytes.`,
        deviceId,
      );
      return null;
    }
    const receivedAt = this.deps.clock.now().getTime();
    if (receivedAt !== this.lastReceivedAt) {
      this.lastReceivedAt = receivedAt;
      this.lastReceivedIso = new Date(receivedAt).toISOString();
    }
    switch (kind) {
      case 'data': {
        const telemetry = this.check(parseTelemetry(payload), deviceId, message.topic);
        if (!telemetry) return null;
        const trustedAt = trustedTime(telemetry, receivedAt);
        // The validated object is this message's own: it becomes the stored reading (no copy per message).
        const reading = telemetry as StoredReading;
        reading.received_at = this.lastReceivedIso;
        reading.trusted_at = new Date(trustedAt).toISOString();
        return { kind: 'data', reading, receivedAt, trustedAt };
      }
      case 'status': {
        const status = this.check(parseStatus(payload), deviceId, message.topic);
        return status ? { kind: 'status', status, retained: retain, receivedAt } : null;
      }
      case 'ack': {
        const ack = this.check(parseAck(payload), deviceId, message.topic);
        return ack ? { kind: 'ack', ack, receivedAt } : null;
      }
      case 'availability': {
        const result = parseAvailability(payload);
        if (!result.ok) {
          this.reject(message.topic, result.error, deviceId);
          return null;
        }
        this.accepted += 1;
        return { kind: 'availability', deviceId, availability: result.value, retained: retain, receivedAt };
      }
      default:
        // Commands are not subscribed to; one arriving anyway is not the dashboard's to store.
        return null;
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
    if (result.ignored) this.ignored.record(deviceId, topic, result.ignored);
    this.accepted += 1;
    return result.value;
  }

  private reject(topic: string, error: string, deviceId?: string): void {
    // A topic that does not parse: its next-to-last level, where {root}/{id}/{kind} has the id.
    const id = deviceId ?? topic.split('/').at(-2) ?? '';
    this.invalid.record(id.slice(0, 64), topic, error);
  }
}

function deviceOf(change: IngestChange): string {
  switch (change.kind) {
    case 'data':
      return change.reading.device_id;
    case 'status':
      return change.status.device_id;
    case 'ack':
      return change.ack.device_id;
    case 'availability':
      return change.deviceId;
  }
}

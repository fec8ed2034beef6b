import type { Ack, EpochReason, OtaStatus, SensorStatus, Telemetry } from '@fleet/shared';
import type { ReadingIdentity } from '../outbox/sqlite-outbox.js';
import type { Reading } from '../sensor/types.js';
import type { CommandChange, RememberedAck } from '../storage/edge-store.js';

/**
 * The narrow views the device logic has of its parts. The real classes (GuardedSensor, EdgeStore, …)
 * satisfy them as they are.
 */

/** Readings with their health (GuardedSensor): `read()` gives null while the sensor is failing. */
export interface HealthySensor {
  read(): Promise<Reading | null>;
  status(): SensorStatus;
  /** Called on each change of health; gives a function that removes the listener. */
  onChange(listener: (status: SensorStatus) => void): () => void;
  /** Starts retrying a failing sensor on a timer. */
  start(): void;
  /** Stops the retries and closes the sensor. */
  close(): Promise<void>;
}

/** The readings not yet acknowledged by the broker (SqliteOutbox), oldest first. */
export interface TelemetryQueue {
  readonly size: number;
  peek(n: number): Telemetry[];
  /** Forgets readings the broker acknowledged; never fails for a storage reason. */
  remove(items: readonly ReadingIdentity[]): void;
}

/** Where the device keeps what must survive a restart (EdgeStore). */
export interface DeviceStorage {
  readonly outbox: TelemetryQueue;
  /** The epoch readings are counted in, and why it began. */
  readonly epoch: { epoch: string; reason: EpochReason };
  /** Numbers and queues a scheduled reading; never fails for a storage reason. */
  takeReading(build: (identity: { epoch: string; seq: number }) => Telemetry): Telemetry;
  /** A command's effect and its ack in one write; throws, having changed nothing, when it cannot be written. */
  applyCommand(change: CommandChange, remembered: RememberedAck | null): Telemetry | null;
  /** An OTA status with the firmware version running with it, in one write; throws when it cannot. */
  saveOta(ota: OtaStatus, firmware: string): void;
  /** The ack already given to this command id, or null. */
  recall(commandId: string): Ack | null;
  /** Remembers a rejection's ack; false when it cannot be written. */
  rememberRejection(remembered: RememberedAck): boolean;
  /** Records the clean stop (last) and closes; gives whether it is recorded. */
  close(): boolean;
}

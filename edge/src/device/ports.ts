import type { SensorStatus, Telemetry } from '@fleet/shared';
import type { Reading } from '../sensor/types.js';
import type { PersistedState } from '../state/device-state.js';

/**
 * The narrow views the device logic has of its parts. The real classes (GuardedSensor, FileOutbox,
 * DeviceStateStore, …) satisfy them as they are; unit tests pass small in-memory fakes.
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

/** The readings not yet acknowledged by the broker (FileOutbox), kept on disk, oldest (lowest seq) first. */
export interface TelemetryQueue {
  readonly size: number;
  /** Resolves once the reading is on disk. */
  enqueue(telemetry: Telemetry): Promise<void>;
  peek(n: number): Telemetry[];
  /** Forgets readings the broker acknowledged. */
  remove(seqs: readonly number[]): Promise<unknown>;
  /** Waits for pending writes; what is queued stays on disk for the next start. */
  close(): Promise<void>;
}

/** Where the device keeps what must survive a restart (DeviceStateStore). */
export interface StateWriter {
  /** Writes the patched state; when the write fails it rejects and the patch is not kept. */
  update(patch: Partial<PersistedState>): Promise<PersistedState>;
  flush(): Promise<void>;
}

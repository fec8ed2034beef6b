import type { Ack, Availability, DeviceStatus } from '@fleet/shared';
import type { DashboardEventMap, DashboardEventName, StoredReading } from '../api-types.js';
import {
  applyAck,
  applyAvailability,
  applyStatus,
  applyTelemetry,
  type DeviceRecord,
  newRecord,
} from './device-record.js';

/** An event to announce once the changes are committed. */
export type FleetEvent = {
  [K in DashboardEventName]: { name: K; payload: DashboardEventMap[K] };
}[DashboardEventName];

/**
 * Changes to the fleet made while a group of messages is being written, kept apart from the fleet until
 * the transaction has committed: a group that fails to commit leaves the fleet as it was, and is applied
 * again from scratch at the next attempt. Each change takes the time its message was received.
 */
export class FleetDraft {
  readonly events: FleetEvent[] = [];
  private readonly changed = new Map<string, DeviceRecord>();

  constructor(private readonly current: (deviceId: string) => DeviceRecord | undefined) {}

  /** The records changed, in the order they were first changed. */
  get records(): DeviceRecord[] {
    return [...this.changed.values()];
  }

  telemetry(reading: StoredReading, now: number): void {
    this.set(applyTelemetry(this.record(reading.device_id, now), reading, now));
    this.events.push({ name: 'telemetry', payload: reading });
  }

  status(status: DeviceStatus, now: number, retained: boolean): void {
    this.set(applyStatus(this.record(status.device_id, now), status, now, retained));
    this.events.push({ name: 'status', payload: status });
  }

  availability(deviceId: string, availability: Availability, now: number, retained: boolean): void {
    this.set(applyAvailability(this.record(deviceId, now), availability, now, retained));
  }

  ack(ack: Ack, now: number): void {
    this.set(applyAck(this.record(ack.device_id, now), ack, now));
    this.events.push({ name: 'ack', payload: ack });
  }

  private record(deviceId: string, now: number): DeviceRecord {
    return this.changed.get(deviceId) ?? this.current(deviceId) ?? newRecord(deviceId, now);
  }

  private set(record: DeviceRecord): void {
    this.changed.set(record.device_id, record);
  }
}

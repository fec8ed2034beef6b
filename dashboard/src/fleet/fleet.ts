import type { Ack, Clock, DeviceStatus, Logger } from '@fleet/shared';
import type { DeviceSummary, StoredReading } from '../api-types.js';
import type { DashboardEvents } from '../events.js';
import type { TelemetryStore } from '../storage/telemetry-store.js';
import {
  applyAck,
  applyStatus,
  applyTelemetry,
  type DeviceRecord,
  newRecord,
  toSummary,
} from './device-record.js';

export interface FleetDeps {
  store: Pick<TelemetryStore, 'loadDevices' | 'saveDevices'>;
  events: DashboardEvents;
  clock: Clock;
  logger: Logger;
}

/**
 * The devices the dashboard knows, kept in memory and written to the registry table on every change, so the
 * fleet list survives a restart. Each change is announced as events (`telemetry`, `status`, `ack`, then
 * `device` with the new summary).
 */
export class Fleet {
  private readonly records = new Map<string, DeviceRecord>();

  constructor(private readonly deps: FleetDeps) {}

  /** Reads the registry table. */
  load(): void {
    this.records.clear();
    for (const record of this.deps.store.loadDevices()) this.records.set(record.device_id, record);
  }

  has(deviceId: string): boolean {
    return this.records.has(deviceId);
  }

  /** Device ids, sorted. */
  ids(): string[] {
    return [...this.records.keys()].sort();
  }

  summaries(): DeviceSummary[] {
    return this.ids().map((id) => toSummary(this.records.get(id) as DeviceRecord));
  }

  summary(deviceId: string): DeviceSummary | null {
    const record = this.records.get(deviceId);
    return record ? toSummary(record) : null;
  }

  /** The latest reading of each device that has sent one. */
  latest(): Record<string, StoredReading> {
    const latest: Record<string, StoredReading> = {};
    for (const id of this.ids()) {
      const reading = this.records.get(id)?.latest;
      if (reading) latest[id] = reading;
    }
    return latest;
  }

  /** Readings just stored (each one for the first time). */
  recordTelemetry(rows: readonly StoredReading[]): void {
    const now = this.now();
    const changed = new Map<string, DeviceRecord>();
    for (const row of rows) {
      const before = changed.get(row.device_id) ?? this.recordFor(row.device_id, now);
      changed.set(row.device_id, applyTelemetry(before, row, now));
    }
    this.commit([...changed.values()]);
    for (const row of rows) this.deps.events.emit('telemetry', row);
    this.announce(changed.keys());
  }

  /** `retained`: the broker replayed the stored status rather than the device sending it now. */
  recordStatus(status: DeviceStatus, retained: boolean): void {
    const now = this.now();
    const before = this.recordFor(status.device_id, now);
    const after = applyStatus(before, status, now, retained);
    this.logStatusChange(before, after);
    this.commit([after]);
    this.deps.events.emit('status', status);
    this.announce([status.device_id]);
  }

  recordAck(ack: Ack): void {
    const now = this.now();
    this.commit([applyAck(this.recordFor(ack.device_id, now), ack, now)]);
    this.deps.events.emit('ack', ack);
    this.announce([ack.device_id]);
  }

  private recordFor(deviceId: string, now: number): DeviceRecord {
    const record = this.records.get(deviceId);
    if (record) return record;
    this.deps.logger.info({ device_id: deviceId }, 'New device');
    return newRecord(deviceId, now);
  }

  private commit(records: DeviceRecord[]): void {
    for (const record of records) this.records.set(record.device_id, record);
    try {
      this.deps.store.saveDevices(records);
    } catch (error) {
      this.deps.logger.error(
        { err: error },
        'Could not save the device registry; the next change saves it again',
      );
    }
  }

  private announce(deviceIds: Iterable<string>): void {
    for (const id of deviceIds) {
      const summary = this.summary(id);
      if (summary) this.deps.events.emit('device', summary);
    }
  }

  private logStatusChange(before: DeviceRecord, after: DeviceRecord): void {
    const { logger } = this.deps;
    const device_id = after.device_id;
    const wasOnline = before.status?.online === true;
    const isOnline = after.status?.online === true;
    if (wasOnline !== isOnline || before.status === null) {
      logger.info({ device_id, online: isOnline }, isOnline ? 'Device online' : 'Device offline');
    }
    if (before.firmware !== after.firmware && after.firmware !== null) {
      logger.info({ device_id, from: before.firmware, to: after.firmware }, 'Device firmware changed');
    }
    const ota = after.online_status?.ota;
    if (ota && ota.state !== before.online_status?.ota.state) {
      logger.info(
        { device_id, ota_state: ota.state, target: ota.target_version, error: ota.error },
        'OTA state',
      );
    }
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }
}

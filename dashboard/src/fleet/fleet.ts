import { type Clock, type Logger, systemClock } from '@fleet/shared';
import type { DeliveryFigures, DeviceSummary, FleetCounts, FleetRow, StoredReading } from '../api-types.js';
import type { DashboardEvents } from '../events.js';
import type { DeviceRemoval } from '../storage/device-removal.js';
import type { TelemetryStore } from '../storage/telemetry-store.js';
import {
  applyTelemetry,
  contractOf,
  type DeviceRecord,
  isOnline,
  newRecord,
  toSummary,
} from './device-record.js';
import { FleetDraft } from './fleet-draft.js';
import { countsOf, toRow } from './fleet-row.js';
import type { Tombstones } from './tombstones.js';

export interface FleetDeps {
  store: Pick<TelemetryStore, 'loadDevices' | 'allDelivery'>;
  /** Where a forgotten device's data is removed. */
  removal?: Pick<DeviceRemoval, 'forgetDevice' | 'deleteReadings'>;
  events: DashboardEvents;
  logger: Logger;
  /** The devices forgotten; `forget()` adds to it, and `load()` leaves them out. */
  tombstones?: Pick<Tombstones, 'add' | 'has' | 'written'>;
  clock?: Clock;
  /**
   * Replicas (MQTT_SHARE_GROUP): a reading is announced (`telemetry`) when it comes through `live()`, which
   * every replica gets, not when stored, which one replica does; so each reading is announced once.
   */
  liveReadings?: boolean;
}

/**
 * The devices the dashboard knows, kept in memory; the registry table holds the same, written by the
 * ingest in the transaction of the messages that changed it (see FleetDraft), so the fleet list survives a
 * restart. Each committed change is announced as events (`telemetry`, `status`, `ack`, then `device` with
 * the new summary).
 */
export class Fleet {
  private readonly records = new Map<string, DeviceRecord>();
  private readonly delivery = new Map<string, DeliveryFigures>();

  constructor(private readonly deps: FleetDeps) {}

  /** Reads the registry table and the delivery figures. */
  load(): void {
    this.records.clear();
    for (const record of this.deps.store.loadDevices()) {
      // A forgotten device has no registry row, unless something wrote one back (a crash while forgetting it).
      if (!this.deps.tombstones?.has(record.device_id)) this.records.set(record.device_id, record);
    }
    this.delivery.clear();
    for (const [id, figures] of this.deps.store.allDelivery()) this.delivery.set(id, figures);
  }

  /** Devices known. */
  get size(): number {
    return this.records.size;
  }

  has(deviceId: string): boolean {
    return this.records.has(deviceId);
  }

  /** The contract version a known device speaks (1 when it never said; see contractOf). */
  contract(deviceId: string): number {
    const record = this.records.get(deviceId);
    return record ? contractOf(record) : 1;
  }

  /** Device ids, sorted. */
  ids(): string[] {
    return [...this.records.keys()].sort();
  }

  summaries(): DeviceSummary[] {
    return this.ids().map((id) => this.summary(id) as DeviceSummary);
  }

  summary(deviceId: string): DeviceSummary | null {
    const record = this.records.get(deviceId);
    return record ? toSummary(record, this.delivery.get(deviceId)) : null;
  }

  /** One device's row in the fleet list; null for an unknown device. */
  row(deviceId: string): FleetRow | null {
    const record = this.records.get(deviceId);
    return record ? toRow(record, this.delivery.get(deviceId)?.lost ?? 0) : null;
  }

  /** Every device's row, sorted by id. */
  rows(): FleetRow[] {
    return this.ids().map((id) => this.row(id) as FleetRow);
  }

  counts(): FleetCounts {
    return countsOf(this.records.values());
  }

  /**
   * Forgets a device: its registry entry and delivery figures at once (it leaves the fleet and a `forgotten`
   * event is announced), then its readings. The command trail keeps its commands. False for an unknown device.
   */
  async forget(deviceId: string): Promise<boolean> {
    const { removal } = this.deps;
    if (!this.records.has(deviceId) || !removal) return false;
    const at = (this.deps.clock ?? systemClock).now().getTime();
    removal.forgetDevice(deviceId, at);
    this.records.delete(deviceId);
    this.delivery.delete(deviceId);
    this.deps.tombstones?.add(deviceId);
    this.deps.logger.info({ device_id: deviceId }, 'Device forgotten');
    this.deps.events.emit('forgotten', { device_id: deviceId });
    try {
      const readings = await removal.deleteReadings(deviceId, at);
      this.deps.logger.info({ device_id: deviceId, readings }, "A forgotten device's readings are removed");
    } catch (error) {
      // It is forgotten all the same; what is left goes with retention (HISTORY_DAYS).
      this.deps.logger.error(
        { err: error, device_id: deviceId },
        'Could not remove all the readings of a forgotten device; retention removes the rest',
      );
    }
    this.deps.tombstones?.written(deviceId);
    return true;
  }

  /**
   * A device forgotten through another replica (the shared list of forgotten devices says so): it leaves this
   * replica's fleet too, and the `forgotten` event is announced; the database is that replica's to change.
   */
  forgottenElsewhere(deviceId: string): void {
    if (!this.records.delete(deviceId)) return;
    this.delivery.delete(deviceId);
    this.deps.logger.info({ device_id: deviceId }, 'Device forgotten through another replica');
    this.deps.events.emit('forgotten', { device_id: deviceId });
  }

  /** The latest reading (by trusted_at) of each device that has sent one. */
  latest(): Record<string, StoredReading> {
    const latest: Record<string, StoredReading> = {};
    for (const id of this.ids()) {
      const reading = this.records.get(id)?.latest;
      if (reading) latest[id] = reading;
    }
    return latest;
  }

  /** A draft of changes on top of the fleet as it is now. */
  draft(): FleetDraft {
    return new FleetDraft((deviceId) => this.records.get(deviceId));
  }

  /**
   * A draft whose changes are committed: they become the fleet, with the delivery figures read in the same
   * transaction, and are announced.
   */
  adopt(draft: FleetDraft, delivery: ReadonlyMap<string, DeliveryFigures>): void {
    const records = draft.records;
    for (const record of records) {
      this.logChange(this.records.get(record.device_id), record);
      this.records.set(record.device_id, record);
    }
    for (const [id, figures] of delivery) this.delivery.set(id, figures);
    for (const event of draft.events) {
      if (this.deps.liveReadings && event.name === 'telemetry') continue;
      this.deps.events.emit(event.name, event.payload as never);
    }
    // The changed devices, and those whose figures alone changed (a conflicting redelivery).
    for (const id of new Set([...records.map((record) => record.device_id), ...delivery.keys()])) {
      const summary = this.summary(id);
      if (summary) this.deps.events.emit('device', summary);
    }
  }

  /**
   * A reading received for the live push (MQTT_SHARE_GROUP): whichever replica stores it, this one's fleet in
   * memory takes it as its latest (by trusted_at, as when stored) and announces it; nothing is written. The
   * delivery figures stay those read when this replica last stored one of the device's readings. A
   * forgotten device is left out until a reading of it is stored again.
   */
  live(reading: StoredReading, now: number): void {
    const id = reading.device_id;
    if (this.deps.tombstones?.has(id)) return;
    const before = this.records.get(id);
    const record = applyTelemetry(before ?? newRecord(id, now), reading, now);
    this.logChange(before, record);
    this.records.set(id, record);
    this.deps.events.emit('telemetry', reading);
    this.deps.events.emit('device', this.summary(id) as DeviceSummary);
  }

  /**
   * Replicas (MQTT_SHARE_GROUP): the delivery figures read again from the database, where the other replicas
   * store readings too (default: the store's); each known device whose figures changed is announced (`device`).
   */
  refreshDelivery(all: ReadonlyMap<string, DeliveryFigures> = this.deps.store.allDelivery()): void {
    for (const [id, figures] of all) {
      const before = this.delivery.get(id);
      if (!this.records.has(id) || (before && sameFigures(before, figures))) continue;
      this.delivery.set(id, figures);
      this.deps.events.emit('device', this.summary(id) as DeviceSummary);
    }
  }

  private logChange(before: DeviceRecord | undefined, after: DeviceRecord): void {
    const { logger } = this.deps;
    const device_id = after.device_id;
    if (!before) logger.info({ device_id }, 'New device');
    const wasOnline = before ? isOnline(before) : false;
    const online = isOnline(after);
    const presenceKnown = (record: DeviceRecord | undefined) =>
      record !== undefined && (record.status !== null || record.availability !== null);
    if (wasOnline !== online || (!presenceKnown(before) && presenceKnown(after))) {
      logger.info({ device_id, online }, online ? 'Device online' : 'Device offline');
    }
    if ((before?.firmware ?? null) !== after.firmware && after.firmware !== null) {
      logger.info(
        { device_id, from: before?.firmware ?? null, to: after.firmware },
        'Device firmware changed',
      );
    }
    const ota = after.online_status?.ota;
    if (ota && ota.state !== before?.online_status?.ota.state) {
      logger.info(
        { device_id, ota_state: ota.state, target: ota.target_version, error: ota.error },
        'OTA state',
      );
    }
    const epoch = after.online_status?.epoch;
    if (epoch !== undefined && epoch !== before?.online_status?.epoch) {
      logger.info(
        { device_id, epoch, epoch_reason: after.online_status?.epoch_reason ?? null },
        'Device storage epoch',
      );
    }
  }
}

function sameFigures(one: DeliveryFigures, other: DeliveryFigures): boolean {
  return one.received === other.received && one.lost === other.lost && one.conflicts === other.conflicts;
}

import type { DeliveryFigures, StoredReading } from '../api-types.js';
import type { DeviceRecord } from '../fleet/device-record.js';
import { DeliveryTotals } from './delivery-totals.js';
import { DeviceRemoval } from './device-removal.js';
import type { HistoryAnswer, HistoryQuery } from './history-store.js';
import { NewestReadings } from './newest-readings.js';
import type { RawPage, RawPageQuery } from './raw-pages.js';
import type { ReadingStore } from './reading-store.js';
import type { ReadingToWrite, WriteOutcome } from './reading-writer.js';
import type { RollupStep } from './rollups.js';
import type { RecentQuery, TelemetryStore } from './telemetry-store.js';

/**
 * The ReadingStore interface over SQLite's TelemetryStore, each call answered at once. The service's own
 * SQLite path keeps calling TelemetryStore directly (synchronous, in the ingest's transaction, with the
 * command trail); this adapter is what code written for either engine uses.
 */
export class SqliteReadingStore implements ReadingStore {
  readonly engine = 'sqlite' as const;
  private totals: DeliveryTotals | null = null;

  constructor(readonly store: TelemetryStore) {}

  async open(): Promise<void> {
    this.store.open();
    this.totals = new DeliveryTotals(this.store.database);
  }

  async close(): Promise<void> {
    this.store.close();
    this.totals = null;
  }

  async writeReadings(items: readonly ReadingToWrite[]): Promise<WriteOutcome[]> {
    return this.store.transaction(() => this.store.writeReadings(items));
  }

  async deliveryOf(deviceIds: readonly string[]): Promise<Map<string, DeliveryFigures>> {
    return this.store.deliveryOf(deviceIds);
  }

  async allDelivery(): Promise<Map<string, DeliveryFigures>> {
    return this.store.allDelivery();
  }

  async deliveryTotals(): Promise<DeliveryFigures> {
    if (!this.totals) throw new Error(`The database ${this.store.path} is not open.`);
    return this.totals.read();
  }

  async recent(query: RecentQuery): Promise<StoredReading[]> {
    return this.store.recent(query);
  }

  async history(query: HistoryQuery): Promise<HistoryAnswer> {
    return this.store.history(query);
  }

  async rawPage(query: RawPageQuery): Promise<RawPage> {
    return this.store.rawPage(query);
  }

  async oldestRaw(deviceId: string): Promise<number | null> {
    return this.store.oldestRaw(deviceId);
  }

  async rawFrom(): Promise<number> {
    return this.store.rawFrom();
  }

  async rollUp(max: number): Promise<RollupStep> {
    return this.store.rollUp(max);
  }

  deleteOlderThan(cutoff: number): Promise<number> {
    return this.store.deleteOlderThan(cutoff);
  }

  deleteRollupsOlderThan(rawCutoff: number, rollupCutoff: number): Promise<number> {
    return this.store.deleteRollupsOlderThan(rawCutoff, rollupCutoff);
  }

  async newestReadings(): Promise<Map<string, StoredReading>> {
    const newest = new NewestReadings(this.store.database);
    const found = new Map<string, StoredReading>();
    for (const id of newest.deviceIds()) {
      const reading = newest.newest(id);
      if (reading) found.set(id, reading);
    }
    return found;
  }

  async loadDevices(): Promise<DeviceRecord[]> {
    return this.store.loadDevices();
  }

  forgetDevice(deviceId: string, upTo: number): Promise<number> {
    const removal = new DeviceRemoval(() => this.store.database);
    removal.forgetDevice(deviceId, upTo);
    return removal.deleteReadings(deviceId, upTo);
  }

  async saveDevices(records: readonly DeviceRecord[]): Promise<void> {
    this.store.saveDevices(records);
  }

  async isHealthy(): Promise<boolean> {
    return this.store.isHealthy();
  }
}

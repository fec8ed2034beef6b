import type { DeliveryFigures, StoredReading } from '../api-types.js';
import type { DeviceRecord } from '../fleet/device-record.js';
import type { HistoryAnswer, HistoryQuery } from './history-store.js';
import type { RawPage, RawPageQuery } from './raw-pages.js';
import type { ReadingToWrite, WriteOutcome } from './reading-writer.js';
import type { RollupStep } from './rollups.js';
import type { RecentQuery } from './telemetry-store.js';

export type StorageEngine = 'sqlite' | 'postgresql';

/**
 * What the dashboard's readings path needs of storage, whichever the engine: readings filed by identity with
 * their delivery figures, history, the rollup and retention jobs' work, and the device registry. SQLite
 * (SqliteReadingStore over TelemetryStore) and PostgreSQL (PgReadingStore) implement it; the storage
 * contract suite (dashboard/test/storage-contract) runs the same tests on both. Every call is a promise: a
 * PostgreSQL answer comes over the network.
 */
export interface ReadingStore {
  readonly engine: StorageEngine;
  /** Opens the database and brings its layout up to date. */
  open(): Promise<void>;
  close(): Promise<void>;
  /**
   * Files readings by their identity (device_id, epoch, seq) with their delivery counts, in one transaction:
   * resolved once committed (durable), so that their PUBACKs may go; the outcome of each, in order.
   */
  writeReadings(items: readonly ReadingToWrite[]): Promise<WriteOutcome[]>;
  /** These devices' delivery figures (zeros for a device with no reading). */
  deliveryOf(deviceIds: readonly string[]): Promise<Map<string, DeliveryFigures>>;
  /** Every device's delivery figures. */
  allDelivery(): Promise<Map<string, DeliveryFigures>>;
  /** The whole fleet's delivery figures, summed. */
  deliveryTotals(): Promise<DeliveryFigures>;
  /** The most recent `limit` readings by trusted_at, oldest first. */
  recent(query: RecentQuery): Promise<StoredReading[]>;
  /** One device's history over a range, whole or in buckets (read-your-writes: what waits is rolled up first). */
  history(query: HistoryQuery): Promise<HistoryAnswer>;
  /** One page of one device's raw readings, oldest first. */
  rawPage(query: RawPageQuery): Promise<RawPage>;
  /** The trusted_at of the device's oldest raw reading kept, null when it has none. */
  oldestRaw(deviceId: string): Promise<number | null>;
  /** The start of the raw readings kept (the last retention cutoff; 0 before the first). */
  rawFrom(): Promise<number>;
  /** One step of the rollups: at most `max` readings (SQLite) or marked minute buckets (PostgreSQL). */
  rollUp(max: number): Promise<RollupStep>;
  /** Removes the readings filed before `cutoff` (epoch ms); their hour rollups stay. */
  deleteOlderThan(cutoff: number): Promise<number>;
  /** Removes minute rollups wholly before `rawCutoff` and hour rollups wholly before `rollupCutoff`. */
  deleteRollupsOlderThan(rawCutoff: number, rollupCutoff: number): Promise<number>;
  /** Each device's newest stored reading (by trusted_at): what the registry is repaired from at start. */
  newestReadings(): Promise<Map<string, StoredReading>>;
  loadDevices(): Promise<DeviceRecord[]>;
  /**
   * Forgets a device in the readings path: its registry row, delivery figures and rollups, and its readings
   * received up to `upTo` (epoch ms; readings it sent after, coming back meanwhile, stay). Resolves to the
   * readings removed. Both engines list it as forgotten too, with its registry row gone (SQLite: DeviceRemoval;
   * PostgreSQL: in the transaction that removes its registry row, for every replica).
   */
  forgetDevice(deviceId: string, upTo: number): Promise<number>;
  saveDevices(records: readonly DeviceRecord[]): Promise<void>;
  isHealthy(): Promise<boolean>;
}

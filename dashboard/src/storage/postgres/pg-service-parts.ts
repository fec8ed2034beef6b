import type { Logger } from '@fleet/shared';
import type { DeliveryFigures } from '../../api-types.js';
import type { DeviceRecord } from '../../fleet/device-record.js';
import { recoverRegistry } from '../../fleet/registry-recovery.js';
import type { ReadingStore } from '../reading-store.js';

/**
 * What the service's synchronous parts read of a ReadingStore, made ready once at start (DATABASE_URL): the
 * registry and delivery figures the fleet loads, the registry writer's store, the fleet's delivery totals for
 * /metrics (refreshed at each read, so they lag one scrape), and the health check over both databases.
 */
export interface ReadingsPathParts {
  /** For Fleet (load) and RegistryWriter (save). */
  registry: {
    loadDevices(): DeviceRecord[];
    allDelivery(): Map<string, DeliveryFigures>;
    saveDevices(records: readonly DeviceRecord[]): Promise<void>;
  };
  /** For FleetMetrics: the last totals read, a new read started. */
  deliveryTotals: { read(): DeliveryFigures };
  /** For /healthz: the local SQLite file and PostgreSQL both answer. */
  health: { isHealthy(): Promise<boolean> };
  /**
   * For Fleet.forget: the device's registry row, figures and rollups and its place in the list of forgotten
   * devices, in one PostgreSQL transaction, then its readings (PgReadingStore.forgetDevice). Nothing local.
   */
  removal: {
    forgetDevice(deviceId: string, at: number): void;
    deleteReadings(deviceId: string, upTo: number): Promise<number>;
  };
}

export interface ReadingsPathOptions {
  logger: Logger;
  /** Devices forgotten (Tombstones): their registry rows are not repaired. */
  forgotten?: (deviceId: string) => boolean;
}

/**
 * Reads the registry, repairing it first from the newest stored readings (the registry is written at most
 * once a second, the readings with their messages: after a crash it may lag; see recoverRegistry).
 */
export async function readingsPathParts(
  readings: ReadingStore,
  local: { isHealthy(): boolean },
  options: ReadingsPathOptions,
): Promise<ReadingsPathParts> {
  let devices = await readings.loadDevices();
  const newest = await readings.newestReadings();
  let repaired: DeviceRecord[] = [];
  recoverRegistry({
    store: {
      loadDevices: () => devices,
      saveDevices: (records) => {
        repaired = [...records];
      },
    },
    readings: { deviceIds: () => [...newest.keys()], newest: (id) => newest.get(id) ?? null },
    logger: options.logger,
    ...(options.forgotten ? { forgotten: options.forgotten } : {}),
  });
  if (repaired.length > 0) {
    await readings.saveDevices(repaired);
    devices = await readings.loadDevices();
  }
  const delivery = await readings.allDelivery();
  let totals = await readings.deliveryTotals();
  let refreshing = false;
  return {
    registry: {
      loadDevices: () => devices,
      allDelivery: () => delivery,
      saveDevices: (records) => readings.saveDevices(records),
    },
    deliveryTotals: {
      read() {
        if (!refreshing) {
          refreshing = true;
          readings
            .deliveryTotals()
            .then((figures) => {
              totals = figures;
            })
            .catch(() => undefined)
            .finally(() => {
              refreshing = false;
            });
        }
        return totals;
      },
    },
    health: { isHealthy: async () => local.isHealthy() && (await readings.isHealthy()) },
    removal: {
      forgetDevice: () => undefined,
      deleteReadings: (deviceId, upTo) => readings.forgetDevice(deviceId, upTo),
    },
  };
}

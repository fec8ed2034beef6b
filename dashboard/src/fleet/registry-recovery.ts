import type { Logger } from '@fleet/shared';
import type { NewestReadings } from '../storage/newest-readings.js';
import type { TelemetryStore } from '../storage/telemetry-store.js';
import { applyTelemetry, type DeviceRecord, newRecord } from './device-record.js';

export interface RegistryRecoveryDeps {
  store: Pick<TelemetryStore, 'loadDevices' | 'saveDevices'>;
  readings: Pick<NewestReadings, 'deviceIds' | 'newest'>;
  logger: Logger;
  /** Devices forgotten (Tombstones): they stay without a registry row, whatever readings are left of them. */
  forgotten?: (deviceId: string) => boolean;
}

/**
 * At start, before the fleet is loaded: the registry is written at most once a second (RegistryWriter), so
 * after a crash it may lag behind the readings, which are committed with their messages. Each device whose
 * newest stored reading is newer than its registry's `latest` (or that has readings and no registry row: a
 * new device) gets its record brought up to that reading, as if the reading had just been applied, and
 * written back. Returns the number of devices repaired.
 */
export function recoverRegistry(deps: RegistryRecoveryDeps): number {
  const records = new Map<string, DeviceRecord>();
  for (const record of deps.store.loadDevices()) records.set(record.device_id, record);
  const ids = new Set([...records.keys(), ...deps.readings.deviceIds()]);
  const repaired: DeviceRecord[] = [];
  for (const id of ids) {
    if (deps.forgotten?.(id)) continue;
    const newest = deps.readings.newest(id);
    if (!newest) continue;
    const record = records.get(id);
    const newestAt = Date.parse(newest.trusted_at);
    const latestAt = record?.latest ? Date.parse(record.latest.trusted_at) : Number.NEGATIVE_INFINITY;
    if (latestAt >= newestAt) continue;
    const receivedAt = Date.parse(newest.received_at);
    const next = applyTelemetry(record ?? newRecord(id, receivedAt), newest, receivedAt);
    next.last_seen = Math.max(record?.last_seen ?? receivedAt, receivedAt);
    repaired.push(next);
  }
  if (repaired.length > 0) {
    deps.store.saveDevices(repaired);
    deps.logger.info(
      { devices: repaired.length, device_ids: repaired.slice(0, 20).map((record) => record.device_id) },
      "The device registry lagged behind the stored readings (the last stop did not write it): those devices' latest readings are restored from the readings",
    );
  }
  return repaired.length;
}

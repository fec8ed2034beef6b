import type { Ack, DeviceSettings, DeviceStatus, OnlineStatus } from '@fleet/shared';
import type { DeviceSummary, StoredReading } from '../api-types.js';

/** What the dashboard remembers about one device; a row of the `devices` table. */
export interface DeviceRecord {
  device_id: string;
  /** Epoch ms. */
  first_seen: number;
  /** Epoch ms of the last message received live; null when only a retained status was ever seen. */
  last_seen: number | null;
  /** The last status received, online or offline. */
  status: DeviceStatus | null;
  /** The last online status: sensor, OTA and settings stay known while the device is offline. */
  online_status: OnlineStatus | null;
  /** The telemetry with the most recent timestamp. */
  latest: StoredReading | null;
  settings: DeviceSettings | null;
  firmware: string | null;
  alerte: boolean;
}

export function newRecord(deviceId: string, now: number): DeviceRecord {
  return {
    device_id: deviceId,
    first_seen: now,
    last_seen: null,
    status: null,
    online_status: null,
    latest: null,
    settings: null,
    firmware: null,
    alerte: false,
  };
}

const time = (iso: string | undefined): number | null => {
  if (iso === undefined) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
};

/**
 * A new reading. Only a reading newer than the latest one replaces it (a reading buffered while the device
 * was offline arrives late); `alerte` and `firmware` follow the latest reading.
 */
export function applyTelemetry(record: DeviceRecord, telemetry: StoredReading, now: number): DeviceRecord {
  const next = { ...record, last_seen: now };
  const latestTime = time(record.latest?.timestamp) ?? Number.NEGATIVE_INFINITY;
  if ((time(telemetry.timestamp) ?? 0) >= latestTime) {
    next.latest = telemetry;
    next.alerte = telemetry.alerte;
    next.firmware = telemetry.firmware;
  }
  return next;
}

/**
 * A status message. A retained one is the broker replaying the last status, maybe sent long ago: it does
 * not make the device seen now (its own timestamp is used for a device seen for the first time).
 */
export function applyStatus(
  record: DeviceRecord,
  status: DeviceStatus,
  now: number,
  retained: boolean,
): DeviceRecord {
  const lastSeen = retained ? (record.last_seen ?? time(status.timestamp)) : now;
  const next: DeviceRecord = { ...record, status, last_seen: lastSeen };
  if (status.online) {
    const { mode, intervalle, seuil_alerte, actif } = status;
    next.online_status = status;
    next.settings = { mode, intervalle, seuil_alerte, actif };
    next.firmware = status.firmware;
    next.alerte = status.alerte;
  }
  return next;
}

/** An ack carries the settings in force after the command, applied or not. */
export function applyAck(record: DeviceRecord, ack: Ack, now: number): DeviceRecord {
  return { ...record, last_seen: now, settings: ack.settings, firmware: ack.firmware };
}

export function toSummary(record: DeviceRecord): DeviceSummary {
  return {
    device_id: record.device_id,
    online: record.status?.online === true,
    last_seen: record.last_seen === null ? null : new Date(record.last_seen).toISOString(),
    firmware: record.firmware,
    settings: record.settings,
    ota: record.online_status?.ota ?? null,
    sensor: record.online_status?.sensor ?? null,
    alerte: record.alerte,
    latest: record.latest,
    // Interim, until the store keeps delivery figures and the fleet reads epochs from the status.
    delivery: { received: 0, lost: 0, conflicts: 0 },
    epoch: record.online_status?.epoch ?? null,
    epoch_reason: record.online_status?.epoch_reason ?? null,
    clock_synced: record.online_status?.clock_synced ?? null,
  };
}

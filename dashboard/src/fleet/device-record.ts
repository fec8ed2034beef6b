import {
  type Ack,
  type Availability,
  CALIBRATION_FIELDS,
  type DeviceSettings,
  type DeviceStatus,
  type OnlineStatus,
} from '@fleet/shared';
import type { DeliveryFigures, DeviceSummary, StoredReading } from '../api-types.js';

/** What the dashboard remembers about one device; a row of the `devices` table. */
export interface DeviceRecord {
  device_id: string;
  /** Epoch ms. */
  first_seen: number;
  /** Epoch ms of the last message received live; null when only retained messages were ever seen. */
  last_seen: number | null;
  /** The last status received, online or offline (a contract 1 device's last will is an offline status). */
  status: DeviceStatus | null;
  /** The last online status: sensor, OTA and settings stay known while the device is offline. */
  online_status: OnlineStatus | null;
  /** The reading with the latest trusted_at. */
  latest: StoredReading | null;
  settings: DeviceSettings | null;
  firmware: string | null;
  alerte: boolean;
  /** The last `{root}/{id}/availability` (contract 2); null when the device never sent one. */
  availability: Availability | null;
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
    availability: null,
  };
}

const time = (iso: string | undefined): number | null => {
  if (iso === undefined) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
};

/**
 * Presence. A device of contract 2 says it on its availability topic (its last will there says offline); a
 * device of contract 1 (its status has no `v`) in its status, whose last will is an offline status.
 */
export function isOnline(record: DeviceRecord): boolean {
  const contract2 = record.status === null || (record.status.v ?? 1) >= 2;
  if (contract2 && record.availability !== null) return record.availability === 'online';
  return record.status?.online === true;
}

/**
 * The contract version the device speaks, from its last online status or else its latest reading; 1 when
 * neither says (a device of the previous release never does). Commands to a contract 1 device leave out the
 * fields its strict command schema would refuse.
 */
export function contractOf(record: DeviceRecord): number {
  return record.online_status?.v ?? record.latest?.v ?? 1;
}

/**
 * A reading just stored. Only a reading filed later (trusted_at) than the latest one replaces it: one that
 * waited in a device's outbox arrives late, and one from the future is filed when it arrived.
 */
export function applyTelemetry(record: DeviceRecord, reading: StoredReading, now: number): DeviceRecord {
  const next = { ...record, last_seen: now };
  const latestTime = time(record.latest?.trusted_at) ?? Number.NEGATIVE_INFINITY;
  // The same reading re-stamped by its device (its clock set meanwhile) replaces itself.
  const same = record.latest?.epoch === reading.epoch && record.latest?.seq === reading.seq;
  if (same || (time(reading.trusted_at) ?? 0) >= latestTime) {
    next.latest = reading;
    next.alerte = reading.alerte;
    next.firmware = reading.firmware;
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
    next.online_status = status;
    next.settings = settingsOf(status);
    next.firmware = status.firmware;
    next.alerte = status.alerte;
  }
  return next;
}

/** The settings a status carries; the calibration only when the device reports it (contract 2 onwards). */
function settingsOf(status: OnlineStatus): DeviceSettings {
  const { mode, intervalle, seuil_alerte, actif } = status;
  const settings: DeviceSettings = { mode, intervalle, seuil_alerte, actif };
  for (const field of CALIBRATION_FIELDS) {
    if (status[field] !== undefined) settings[field] = status[field];
  }
  return settings;
}

/** An availability message: `online` sent live makes the device seen now; `offline` is its last will. */
export function applyAvailability(
  record: DeviceRecord,
  availability: Availability,
  now: number,
  retained: boolean,
): DeviceRecord {
  const seen = availability === 'online' && !retained;
  return { ...record, availability, last_seen: seen ? now : record.last_seen };
}

/** An ack carries the settings in force after the command, applied or not. */
export function applyAck(record: DeviceRecord, ack: Ack, now: number): DeviceRecord {
  return { ...record, last_seen: now, settings: ack.settings, firmware: ack.firmware };
}

export const NO_DELIVERY: DeliveryFigures = { received: 0, lost: 0, conflicts: 0 };

export function toSummary(record: DeviceRecord, delivery: DeliveryFigures = NO_DELIVERY): DeviceSummary {
  const last = record.online_status;
  return {
    device_id: record.device_id,
    online: isOnline(record),
    last_seen: record.last_seen === null ? null : new Date(record.last_seen).toISOString(),
    firmware: record.firmware,
    settings: record.settings,
    ota: last?.ota ?? null,
    sensor: last?.sensor ?? null,
    alerte: record.alerte,
    latest: record.latest,
    delivery,
    epoch: last?.epoch ?? null,
    epoch_reason: last?.epoch_reason ?? null,
    clock_synced: last?.clock_synced ?? null,
  };
}

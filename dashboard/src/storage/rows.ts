import type { Telemetry } from '@fleet/shared';
import type { StoredReading } from '../api-types.js';
import type { DeviceRecord } from '../fleet/device-record.js';

/** A telemetry row as SQLite gives it back (booleans are integers). */
export interface TelemetryRow {
  device_id: string;
  seq: number;
  timestamp: string;
  temperature: number;
  humidite: number | null;
  pression: number;
  batterie: number;
  mode: Telemetry['mode'];
  firmware: string;
  alerte: number;
  uptime: number;
  source: Telemetry['source'];
}

export function telemetryParams(telemetry: Telemetry) {
  return { ...telemetry, ts: Date.parse(telemetry.timestamp), alerte: telemetry.alerte ? 1 : 0 };
}

/** Back to the wire shape, field for field in the contract's order. */
export function telemetryFromRow(row: TelemetryRow): StoredReading {
  return storedAsSent({
    device_id: row.device_id,
    timestamp: row.timestamp,
    temperature: row.temperature,
    humidite: row.humidite,
    pression: row.pression,
    batterie: row.batterie,
    mode: row.mode,
    firmware: row.firmware,
    alerte: row.alerte === 1,
    uptime: row.uptime,
    seq: row.seq,
    source: row.source,
  });
}

/** Until the store records them: received_at and trusted_at are the device's timestamp (interim). */
export function storedAsSent(telemetry: Telemetry): StoredReading {
  return { ...telemetry, received_at: telemetry.timestamp, trusted_at: telemetry.timestamp };
}

export interface DeviceRow {
  device_id: string;
  first_seen: number;
  last_seen: number | null;
  status: string | null;
  online_status: string | null;
  latest: string | null;
  settings: string | null;
  firmware: string | null;
  alerte: number;
}

const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function deviceParams(record: DeviceRecord): DeviceRow {
  return {
    device_id: record.device_id,
    first_seen: record.first_seen,
    last_seen: record.last_seen,
    status: json(record.status),
    online_status: json(record.online_status),
    latest: json(record.latest),
    settings: json(record.settings),
    firmware: record.firmware,
    alerte: record.alerte ? 1 : 0,
  };
}

/** The JSON columns were written by deviceParams from validated messages. */
export function deviceFromRow(row: DeviceRow): DeviceRecord {
  return {
    device_id: row.device_id,
    first_seen: row.first_seen,
    last_seen: row.last_seen,
    status: parse(row.status),
    online_status: parse(row.online_status),
    latest: parse(row.latest),
    settings: parse(row.settings),
    firmware: row.firmware,
    alerte: row.alerte === 1,
  };
}

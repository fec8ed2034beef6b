import type { Telemetry } from '@fleet/shared';
import type { StoredReading } from '../api-types.js';
import type { DeviceRecord } from '../fleet/device-record.js';

/** A telemetry row as SQLite gives it back (booleans are integers, times epoch ms). */
export interface TelemetryRow {
  device_id: string;
  epoch: string;
  seq: number;
  trusted_at: number;
  received_at: number;
  timestamp: string;
  v: number | null;
  clock_synced: number | null;
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

/** The fields a device sends that make up a reading's content: two copies of one identity must agree on them. */
export const CONTENT_FIELDS = [
  'v',
  'timestamp',
  'temperature',
  'humidite',
  'pression',
  'batterie',
  'mode',
  'firmware',
  'alerte',
  'uptime',
  'source',
  'clock_synced',
] as const satisfies ReadonlyArray<keyof Telemetry>;

/** The row of a reading; its two times in epoch ms when the caller has them (else parsed from the reading). */
export function telemetryParams(
  reading: StoredReading,
  trustedAt = Date.parse(reading.trusted_at),
  receivedAt = Date.parse(reading.received_at),
): TelemetryRow {
  return {
    device_id: reading.device_id,
    epoch: reading.epoch ?? '',
    seq: reading.seq,
    trusted_at: trustedAt,
    received_at: receivedAt,
    timestamp: reading.timestamp,
    v: reading.v ?? null,
    clock_synced: reading.clock_synced === undefined ? null : reading.clock_synced ? 1 : 0,
    temperature: reading.temperature,
    humidite: reading.humidite,
    pression: reading.pression,
    batterie: reading.batterie,
    mode: reading.mode,
    firmware: reading.firmware,
    alerte: reading.alerte ? 1 : 0,
    uptime: reading.uptime,
    source: reading.source,
  };
}

/** The same row as values in TELEMETRY_COLUMNS order, for the insert (no object per reading). */
export function telemetryValues(
  reading: StoredReading,
  trustedAt: number,
  receivedAt: number,
): Array<string | number | null> {
  return [
    reading.device_id,
    reading.epoch ?? '',
    reading.seq,
    trustedAt,
    receivedAt,
    reading.timestamp,
    reading.v ?? null,
    reading.clock_synced === undefined ? null : reading.clock_synced ? 1 : 0,
    reading.temperature,
    reading.humidite,
    reading.pression,
    reading.batterie,
    reading.mode,
    reading.firmware,
    reading.alerte ? 1 : 0,
    reading.uptime,
    reading.source,
  ];
}

/** Back to the wire shape, field for field in the contract's order (v, epoch, clock_synced only when sent). */
export function telemetryFromRow(row: TelemetryRow): StoredReading {
  return {
    ...(row.v === null ? {} : { v: row.v }),
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
    ...(row.epoch === '' ? {} : { epoch: row.epoch }),
    ...(row.clock_synced === null ? {} : { clock_synced: row.clock_synced === 1 }),
    received_at: new Date(row.received_at).toISOString(),
    trusted_at: new Date(row.trusted_at).toISOString(),
  };
}

/** The content fields in which two copies of one reading differ (none: a plain redelivery). */
export function differingFields(stored: Telemetry, received: Telemetry): string[] {
  return CONTENT_FIELDS.filter((field) => (stored[field] ?? null) !== (received[field] ?? null));
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
  availability: string | null;
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
    availability: record.availability,
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
    availability: row.availability === 'online' || row.availability === 'offline' ? row.availability : null,
  };
}

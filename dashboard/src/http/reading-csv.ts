import type { TelemetryRow } from '../storage/rows.js';

/**
 * The columns of a readings CSV, in order: the wire's field names, with their unit where they have one
 * (see docs/mqtt-contract.md). Times are ISO 8601 in UTC; booleans true/false; an absent value is empty.
 */
export const READING_CSV_COLUMNS = [
  'trusted_at',
  'received_at',
  'timestamp',
  'epoch',
  'seq',
  'temperature_c',
  'humidite_pct',
  'pression_hpa',
  'batterie_pct',
  'alerte',
  'mode',
  'firmware',
  'uptime_s',
  'clock_synced',
  'source',
  'v',
] as const;

/** RFC 4180 line end. */
const CRLF = '\r\n';

export const READING_CSV_HEADER = READING_CSV_COLUMNS.join(',') + CRLF;

/** A field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

const iso = (ms: number) => new Date(ms).toISOString();
const flag = (value: number | null) => (value === null ? '' : value === 1 ? 'true' : 'false');

/** One reading as a CSV line (CRLF included), in READING_CSV_COLUMNS order. */
export function readingCsvLine(row: TelemetryRow): string {
  return (
    [
      iso(row.trusted_at),
      iso(row.received_at),
      csvField(row.timestamp),
      csvField(row.epoch),
      String(row.seq),
      String(row.temperature),
      row.humidite === null ? '' : String(row.humidite),
      String(row.pression),
      String(row.batterie),
      flag(row.alerte),
      csvField(row.mode),
      csvField(row.firmware),
      String(row.uptime),
      flag(row.clock_synced),
      csvField(row.source),
      row.v === null ? '' : String(row.v),
    ].join(',') + CRLF
  );
}

import type { FleetRow } from './types.js';

/** The columns the fleet overview sorts by (the rows' own names). */
export type SortKey =
  | 'device_id'
  | 'online'
  | 'alerte'
  | 'temperature'
  | 'humidite'
  | 'pression'
  | 'batterie'
  | 'last_seen';

export const SORT_KEYS: readonly SortKey[] = [
  'device_id',
  'online',
  'alerte',
  'temperature',
  'humidite',
  'pression',
  'batterie',
  'last_seen',
];

export interface FleetSort {
  key: SortKey;
  descending: boolean;
}

export const DEFAULT_SORT: FleetSort = { key: 'device_id', descending: false };

/** A row's value for `key`, as a number to compare (null: no value, always last). */
function sortValueOf(row: FleetRow | undefined, key: Exclude<SortKey, 'device_id'>): number | null {
  if (!row) return null;
  switch (key) {
    case 'online':
      return row.online ? 1 : 0;
    case 'alerte':
      return row.alerte ? 1 : 0;
    case 'last_seen': {
      const time = row.last_seen === null ? Number.NaN : Date.parse(row.last_seen);
      return Number.isNaN(time) ? null : time;
    }
    default:
      return row[key];
  }
}

/**
 * `ids` (in device id order) sorted by `sort`: devices with the same value stay in id order, and those
 * without one (no reading yet, never seen) come last either way. One pass to read the values, one sort.
 */
export function sortIds(
  ids: readonly string[],
  row: (deviceId: string) => FleetRow | undefined,
  sort: FleetSort,
): readonly string[] {
  const { key, descending } = sort;
  if (key === 'device_id') return descending ? [...ids].reverse() : ids;
  const keyed = ids.map((id, at) => ({ id, at, value: sortValueOf(row(id), key) }));
  const sign = descending ? -1 : 1;
  keyed.sort((a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value === b.value) return a.at - b.at;
      return a.value === null ? 1 : -1;
    }
    return sign * (a.value - b.value) || a.at - b.at;
  });
  return keyed.map((entry) => entry.id);
}

/** "temperature-desc" (in the URL) and back; anything else is null. */
export function sortToText(sort: FleetSort): string {
  return `${sort.key}-${sort.descending ? 'desc' : 'asc'}`;
}

export function sortFromText(text: string | null): FleetSort | null {
  const match = /^([a-z_]+)-(asc|desc)$/.exec(text ?? '');
  const key = SORT_KEYS.find((candidate) => candidate === match?.[1]);
  return key && match ? { key, descending: match[2] === 'desc' } : null;
}

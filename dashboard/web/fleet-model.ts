import type { DeviceSummary, FleetCounts, FleetEventData, FleetRow } from './types.js';

/** Which devices the list shows. */
export type FleetFilter = 'all' | 'online' | 'offline' | 'alerting';
export const FLEET_FILTERS: readonly FleetFilter[] = ['all', 'online', 'offline', 'alerting'];

const NO_COUNTS: FleetCounts = { devices: 0, online: 0, offline: 0, alerting: 0 };
const NO_IDS: readonly string[] = [];

/** Device ids in the order people expect: "pi-2" before "pi-10", letter case aside. */
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const byId = (a: string, b: string): number => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

/** A device in alert, as the server counts them (`alerting`): its last reported `alerte`. */
export function isAlerting(row: FleetRow): boolean {
  return row.alerte;
}

/** The fleet row a device's summary implies (what the next `fleet` event will say of it). */
export function rowOf(summary: DeviceSummary): FleetRow {
  return {
    device_id: summary.device_id,
    online: summary.online,
    alerte: summary.alerte,
    last_seen: summary.last_seen,
    firmware: summary.firmware,
    temperature: summary.latest?.temperature ?? null,
    humidite: summary.latest?.humidite ?? null,
    pression: summary.latest?.pression ?? null,
    batterie: summary.latest?.batterie ?? null,
    lost: summary.delivery.lost,
  };
}

function matchesFilter(row: FleetRow, filter: FleetFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'online':
      return row.online;
    case 'offline':
      return !row.online;
    case 'alerting':
      return isAlerting(row);
  }
}

/**
 * The fleet as the `fleet` events describe it: one row per device in a map, the ids in order, the server's
 * counts, and the ids the list shows (the filter and the search applied). A `fleet` event costs a map update
 * per changed row; the shown ids are computed again only when a change can alter them (a device added or
 * removed, or one entering or leaving the filter), or when the filter or search changes.
 */
export class FleetModel {
  private readonly rows = new Map<string, FleetRow>();
  /** Every known id, in `byId` order. */
  private ids: string[] = [];
  private shown: readonly string[] | null = NO_IDS;
  private filterValue: FleetFilter = 'all';
  private queryValue = '';
  private countsValue: FleetCounts = NO_COUNTS;
  private loadedValue = false;

  /** True once a full `fleet` event came (before that, "no devices" means "not known yet"). */
  get loaded(): boolean {
    return this.loadedValue;
  }

  get counts(): FleetCounts {
    return this.countsValue;
  }

  get size(): number {
    return this.rows.size;
  }

  get filter(): FleetFilter {
    return this.filterValue;
  }

  get query(): string {
    return this.queryValue;
  }

  row(deviceId: string): FleetRow | undefined {
    return this.rows.get(deviceId);
  }

  /** The ids the list shows, in order: the same array until something changes it (do not modify it). */
  shownIds(): readonly string[] {
    if (this.shown === null) this.shown = this.computeShown();
    return this.shown;
  }

  /** A device to show when none is chosen: the first online one, else the first. */
  firstChoice(): string | null {
    for (const id of this.ids) if (this.rows.get(id)?.online) return id;
    return this.ids[0] ?? null;
  }

  apply(event: FleetEventData): void {
    this.countsValue = event.counts;
    if (event.full) {
      this.rows.clear();
      for (const row of event.rows ?? []) this.rows.set(row.device_id, row);
      this.ids = [...this.rows.keys()].sort(byId);
      this.loadedValue = true;
      this.shown = null;
      return;
    }
    for (const row of event.rows ?? []) this.put(row);
    for (const id of event.removed ?? []) this.remove(id);
  }

  /**
   * The watched device's row from its own newer summary, so that its row agrees with the panel at once
   * rather than at the next `fleet` event (which carries the same, or newer). Only a device already known.
   */
  updateFrom(summary: DeviceSummary): void {
    if (this.rows.has(summary.device_id)) this.put(rowOf(summary));
  }

  /** Forgets a device at once (the operator forgot it; the next `fleet` event says so too). */
  remove(deviceId: string): void {
    const row = this.rows.get(deviceId);
    if (!row) return;
    this.rows.delete(deviceId);
    const at = this.indexOf(deviceId);
    if (at >= 0) this.ids.splice(at, 1);
    if (this.matches(row)) this.shown = null;
  }

  setFilter(filter: FleetFilter): void {
    if (filter === this.filterValue) return;
    this.filterValue = filter;
    this.shown = null;
  }

  setQuery(query: string): void {
    const normalised = query.trim().toLowerCase();
    if (normalised === this.queryValue) return;
    this.queryValue = normalised;
    this.shown = null;
  }

  /** Back to nothing known (the session ended). */
  clear(): void {
    this.rows.clear();
    this.ids = [];
    this.shown = NO_IDS;
    this.countsValue = NO_COUNTS;
    this.loadedValue = false;
  }

  private put(row: FleetRow): void {
    const before = this.rows.get(row.device_id);
    this.rows.set(row.device_id, row);
    if (!before) {
      this.ids.splice(this.insertionPoint(row.device_id), 0, row.device_id);
      if (this.matches(row)) this.shown = null;
    } else if (this.matches(before) !== this.matches(row)) {
      this.shown = null;
    }
  }

  private matches(row: FleetRow): boolean {
    if (!matchesFilter(row, this.filterValue)) return false;
    return this.queryValue === '' || row.device_id.toLowerCase().includes(this.queryValue);
  }

  private computeShown(): readonly string[] {
    if (this.filterValue === 'all' && this.queryValue === '') return this.ids;
    return this.ids.filter((id) => {
      const row = this.rows.get(id);
      return row !== undefined && this.matches(row);
    });
  }

  /** Where `id` goes in `ids` (binary search). */
  private insertionPoint(id: string): number {
    let low = 0;
    let high = this.ids.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (byId(this.ids[middle] as string, id) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private indexOf(id: string): number {
    const at = this.insertionPoint(id);
    return this.ids[at] === id ? at : -1;
  }
}

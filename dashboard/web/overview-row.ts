import { h, setText } from './dom.js';
import type { RowView } from './fleet.js';
import { isAlerting } from './fleet-model.js';
import type { RowState } from './fleet-row.js';
import { fullTime, relativeTime } from './format.js';
import { placeRow, type RowPlace, setAside } from './row-place.js';
import type { FleetRow } from './types.js';
import { formatMeasure, type Measure, type UnitChoice } from './units.js';

/** The overview's value columns, in their order on the page. */
const MEASURES: readonly Measure[] = ['temperature', 'humidite', 'pression', 'batterie'];

/**
 * One row element of the fleet overview, reused for one device after another as the table scrolls: a
 * button (it opens the device) with a cell per column: device, presence, alert, the latest values in the
 * units chosen, last seen. Like the fleet list's rows, it touches the DOM only for what changed.
 */
export class OverviewRowView implements RowView {
  readonly item: HTMLLIElement;
  readonly button: HTMLButtonElement;
  private readonly name: HTMLElement;
  private readonly presence: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly values = new Map<Measure, HTMLElement>();
  private readonly seen: HTMLElement;
  row: FleetRow | null = null;
  private index = -1;

  constructor(
    doc: Document,
    private readonly units: () => UnitChoice,
  ) {
    const cell = (column: string, ...children: (Node | string)[]) =>
      h(doc, 'span', { class: 'ov-cell', 'data-column': column }, ...children);
    this.name = cell('device_id');
    this.presence = cell('online');
    this.alert = cell('alerte');
    for (const measure of MEASURES) this.values.set(measure, cell(measure));
    this.seen = cell('last_seen');
    this.button = h(
      doc,
      'button',
      { type: 'button', class: 'overview-item', tabindex: '-1' },
      this.name,
      this.presence,
      this.alert,
      ...this.values.values(),
      this.seen,
    );
    this.item = h(doc, 'li', { class: 'overview-row' }, this.button);
  }

  show(row: FleetRow, at: RowPlace, state: RowState, now: number): void {
    this.index = placeRow(this.item, at, this.index);
    this.button.tabIndex = state.active ? 0 : -1;
    if (this.row === row) return;
    this.row = row;
    const alerting = isAlerting(row);
    this.button.dataset.deviceId = row.device_id;
    this.button.dataset.online = String(row.online);
    this.button.dataset.alert = String(alerting);
    setText(this.name, row.device_id);
    setText(this.presence, row.online ? 'Online' : 'Offline');
    setText(this.alert, alerting ? 'Alert' : '—');
    const units = this.units();
    for (const [measure, element] of this.values) {
      const value = row[measure];
      setText(element, value === null ? '—' : formatMeasure(units, measure, value, 'compact'));
    }
    this.showSeen(now);
  }

  /** "5 s ago", the full time in the cell's tooltip. */
  showSeen(now: number): void {
    const row = this.row;
    if (!row) return;
    setText(this.seen, relativeTime(row.last_seen, now));
    const title = `Last seen ${fullTime(row.last_seen)}`;
    if (this.seen.title !== title) this.seen.title = title;
  }

  release(): void {
    setAside(this);
  }
}

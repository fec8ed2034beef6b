import { h, setText } from './dom.js';
import { isAlerting } from './fleet-model.js';
import { fullTime, relativeTime } from './format.js';
import { placeRow, type RowPlace, setAside } from './row-place.js';
import type { FleetRow } from './types.js';
import { formatMeasure, type UnitChoice } from './units.js';

/**
 * One row element of the fleet list, reused for one device after another as the list scrolls: a button in
 * a list item (name, presence and last seen, the latest values and any loss, the alert and firmware chips).
 * It remembers what it shows, so that the DOM is touched only for what changed.
 */
export class FleetRowView {
  readonly item: HTMLLIElement;
  readonly button: HTMLButtonElement;
  private readonly name: HTMLElement;
  private readonly seen: HTMLElement;
  private readonly values: HTMLElement;
  private readonly lost: HTMLElement;
  private readonly firmware: HTMLElement;
  private readonly alert: HTMLElement;
  /** The row shown (null while the element is spare). */
  row: FleetRow | null = null;
  private index = -1;
  private selected: boolean | null = null;

  /** `units`: the units chosen, read at each draw. */
  constructor(
    doc: Document,
    private readonly units: () => UnitChoice,
  ) {
    const d = doc;
    this.name = h(d, 'span', { class: 'device-name' });
    this.seen = h(d, 'span', { class: 'device-seen' });
    this.lost = h(d, 'span', {
      class: 'device-lost',
      title: 'Readings the device took that never reached the dashboard',
    });
    this.values = h(d, 'span', { class: 'device-values' });
    this.firmware = h(d, 'span', { class: 'chip' });
    this.alert = h(d, 'span', { class: 'chip chip-alert' }, 'Alert');
    // Read in this order by a screen reader; placed by the stylesheet's grid areas.
    this.button = h(
      d,
      'button',
      { type: 'button', class: 'device-item fleet-item', tabindex: '-1' },
      h(d, 'span', { class: 'presence-dot', 'aria-hidden': 'true' }),
      this.name,
      this.seen,
      h(d, 'span', { class: 'device-line' }, this.values, this.lost),
      h(d, 'span', { class: 'device-chips' }, this.alert, this.firmware),
    );
    this.item = h(d, 'li', { class: 'fleet-row' }, this.button);
  }

  /** Shows `row` at `index` of `total` (placed at `index × rowHeight`); `active` takes Tab's focus. */
  show(row: FleetRow, at: RowPlace, state: RowState, now: number): void {
    this.index = placeRow(this.item, at, this.index);
    this.button.tabIndex = state.active ? 0 : -1;
    if (this.selected !== state.selected) {
      this.selected = state.selected;
      if (state.selected) this.button.setAttribute('aria-current', 'true');
      else this.button.removeAttribute('aria-current');
    }
    if (this.row === row) return;
    this.row = row;
    this.button.dataset.deviceId = row.device_id;
    this.button.dataset.online = String(row.online);
    this.button.dataset.alert = String(isAlerting(row));
    setText(this.name, row.device_id);
    setText(this.values, valuesText(row, this.units()));
    this.lost.hidden = row.lost === 0;
    setText(this.lost, `${row.lost.toLocaleString()} lost`);
    this.firmware.hidden = !row.firmware;
    setText(this.firmware, row.firmware ?? '');
    this.alert.hidden = !isAlerting(row);
    this.showSeen(now);
  }

  /** "Online · 5 s ago", "Offline · last seen 3 min ago", and the full time in the tooltip. */
  showSeen(now: number): void {
    const row = this.row;
    if (!row) return;
    const seen = relativeTime(row.last_seen, now);
    setText(this.seen, row.online ? `Online · ${seen}` : `Offline · last seen ${seen}`);
    const title = `Last seen ${fullTime(row.last_seen)}`;
    if (this.button.title !== title) this.button.title = title;
  }

  /** Put aside, to be reused for another device: hidden, and no longer naming this one. */
  release(): void {
    setAside(this);
  }
}

export interface RowState {
  selected: boolean;
  active: boolean;
}

/** "21.4 °C · 48 % · 1013 hPa" (in the units chosen), or "No readings yet". */
function valuesText(row: FleetRow, units: UnitChoice): string {
  if (row.temperature === null && row.humidite === null && row.pression === null) return 'No readings yet';
  const parts: string[] = [];
  if (row.temperature !== null) parts.push(formatMeasure(units, 'temperature', row.temperature, 'compact'));
  if (row.humidite !== null) parts.push(`${row.humidite.toFixed(0)} %`);
  if (row.pression !== null) parts.push(formatMeasure(units, 'pression', row.pression, 'compact'));
  return parts.join(' · ');
}

import { byId, h, setText } from './dom.js';
import { type FleetModel, isAlerting } from './fleet-model.js';
import { fullTime, relativeTime } from './format.js';
import type { FleetRow } from './types.js';

/** Rows drawn above and below the visible ones, so a small scroll shows rows already there. */
const OVERSCAN = 4;
/** The row height when the stylesheet does not say (--fleet-row-height). */
const DEFAULT_ROW_HEIGHT = 72;

/** A row element and what it shows, to touch the DOM only for what changed. */
interface RowView {
  item: HTMLLIElement;
  button: HTMLButtonElement;
  name: HTMLElement;
  seen: HTMLElement;
  values: HTMLElement;
  lost: HTMLElement;
  firmware: HTMLElement;
  alert: HTMLElement;
  deviceId: string;
  row: FleetRow | null;
  index: number;
  selected: boolean;
}

/**
 * The list of devices to pick from, virtualised: only the rows in view (and a few around them) exist, in a
 * pool of elements reused as the list scrolls, placed by a transform at their position in a spacer as tall
 * as the whole list. Draws happen at most once per animation frame (`invalidate`), and touch only the rows
 * whose data changed. Rows are buttons in a list (Tab reaches the list once; the arrow keys, Home, End,
 * Page Up and Page Down move within it, Enter picks); each item says its position in the whole list.
 */
export class FleetList {
  private readonly list: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly views = new Map<string, RowView>();
  private readonly spare: RowView[] = [];
  private selected: string | null = null;
  /** The device whose row takes Tab's focus, kept drawn even when scrolled away. */
  private active: string | null = null;
  private rowHeight = DEFAULT_ROW_HEIGHT;
  private viewportHeight = 0;
  private frame: number | null = null;
  private resize: ResizeObserver | null = null;

  constructor(
    private readonly doc: Document,
    private readonly win: Window,
    private readonly model: FleetModel,
    private readonly onPick: (deviceId: string) => void,
    private readonly now: () => number,
  ) {
    this.list = byId(doc, 'fleet-list');
    this.scroller = byId(doc, 'fleet-scroll');
  }

  start(): void {
    const height = Number.parseFloat(
      this.win.getComputedStyle(this.list).getPropertyValue('--fleet-row-height'),
    );
    if (height > 0) this.rowHeight = height;
    this.list.addEventListener('click', (event) => {
      const id = this.idOf(event.target);
      if (id) this.onPick(id);
    });
    this.list.addEventListener('focusin', (event) => {
      const id = this.idOf(event.target);
      if (id && id !== this.active) {
        this.active = id;
        this.invalidate();
      }
    });
    this.list.addEventListener('keydown', (event) => this.onKey(event));
    this.scroller.addEventListener('scroll', () => this.invalidate(), { passive: true });
    this.viewportHeight = this.scroller.clientHeight;
    this.resize = new ResizeObserver(() => {
      this.viewportHeight = this.scroller.clientHeight;
      this.invalidate();
    });
    this.resize.observe(this.scroller);
  }

  /** The chosen device (aria-current). */
  select(deviceId: string | null): void {
    if (deviceId === this.selected) return;
    this.selected = deviceId;
    this.invalidate();
  }

  /** The model changed, or the view scrolled: draw at the next animation frame (once however many calls). */
  invalidate(): void {
    if (this.frame !== null) return;
    this.frame = this.win.requestAnimationFrame(() => {
      this.frame = null;
      this.draw();
    });
  }

  /** Shows `deviceId`'s row, scrolling as little as needed. */
  reveal(deviceId: string): void {
    const index = this.model.shownIds().indexOf(deviceId);
    if (index >= 0) this.scrollToIndex(index);
  }

  /** Refreshes the "last seen" times of the rows drawn (one timer for the page calls it every second). */
  tick(): void {
    for (const view of this.views.values()) if (view.row) this.showSeen(view, view.row);
  }

  /** Draws the rows in view now. */
  draw(): void {
    const ids = this.model.shownIds();
    this.list.style.height = `${ids.length * this.rowHeight}px`;
    const scrollTop = this.scroller.scrollTop;
    const first = Math.max(0, Math.floor(scrollTop / this.rowHeight) - OVERSCAN);
    const last = Math.min(
      ids.length - 1,
      Math.ceil((scrollTop + this.viewportHeight) / this.rowHeight) + OVERSCAN,
    );
    const wanted = new Map<string, number>();
    for (let index = first; index <= last; index++) wanted.set(ids[index] as string, index);
    const activeIndex = this.activeIndex(ids);
    if (activeIndex >= 0) wanted.set(ids[activeIndex] as string, activeIndex);

    for (const [id, view] of this.views) {
      if (wanted.has(id)) continue;
      // A row leaving with the focus would take it away: the list keeps the focus instead.
      if (view.item.contains(this.doc.activeElement)) this.list.focus();
      this.views.delete(id);
      view.item.hidden = true;
      view.row = null;
      delete view.button.dataset.deviceId;
      this.spare.push(view);
    }
    for (const [id, index] of wanted) {
      const row = this.model.row(id);
      if (!row) continue;
      let view = this.views.get(id);
      if (!view) {
        view = this.spare.pop() ?? this.createView();
        view.deviceId = id;
        view.row = null;
        view.index = -1;
        view.item.hidden = false;
        this.views.set(id, view);
      }
      this.showRow(view, row, index, ids.length, id === ids[activeIndex]);
    }
  }

  stop(): void {
    if (this.frame !== null) this.win.cancelAnimationFrame(this.frame);
    this.frame = null;
    this.resize?.disconnect();
    this.resize = null;
  }

  private activeIndex(ids: readonly string[]): number {
    for (const id of [this.active, this.selected]) {
      if (!id) continue;
      const index = ids.indexOf(id);
      if (index >= 0) return index;
    }
    return ids.length > 0 ? 0 : -1;
  }

  private showRow(view: RowView, row: FleetRow, index: number, total: number, active: boolean): void {
    if (view.index !== index) {
      view.index = index;
      view.item.style.transform = `translateY(${index * this.rowHeight}px)`;
      view.item.setAttribute('aria-posinset', String(index + 1));
    }
    if (view.item.getAttribute('aria-setsize') !== String(total)) {
      view.item.setAttribute('aria-setsize', String(total));
    }
    view.button.tabIndex = active ? 0 : -1;
    const selected = row.device_id === this.selected;
    if (view.selected !== selected || view.row === null) {
      view.selected = selected;
      if (selected) view.button.setAttribute('aria-current', 'true');
      else view.button.removeAttribute('aria-current');
    }
    if (view.row === row) return;
    view.row = row;
    view.button.dataset.deviceId = row.device_id;
    view.button.dataset.online = String(row.online);
    view.button.dataset.alert = String(isAlerting(row));
    setText(view.name, row.device_id);
    setText(view.values, valuesText(row));
    view.lost.hidden = row.lost === 0;
    setText(view.lost, `${row.lost.toLocaleString()} lost`);
    view.firmware.hidden = !row.firmware;
    setText(view.firmware, row.firmware ?? '');
    view.alert.hidden = !isAlerting(row);
    this.showSeen(view, row);
  }

  private showSeen(view: RowView, row: FleetRow): void {
    const seen = relativeTime(row.last_seen, this.now());
    setText(view.seen, row.online ? `Online · ${seen}` : `Offline · last seen ${seen}`);
    const title = `Last seen ${fullTime(row.last_seen)}`;
    if (view.button.title !== title) view.button.title = title;
  }

  private createView(): RowView {
    const d = this.doc;
    const name = h(d, 'span', { class: 'device-name' });
    const seen = h(d, 'span', { class: 'device-seen' });
    const lost = h(d, 'span', {
      class: 'device-lost',
      title: 'Readings the device took that never reached the dashboard',
    });
    const values = h(d, 'span', { class: 'device-values' });
    const firmware = h(d, 'span', { class: 'chip' });
    const alert = h(d, 'span', { class: 'chip chip-alert' }, 'Alert');
    // Read in this order by a screen reader; placed by the stylesheet's grid areas.
    const button = h(
      d,
      'button',
      { type: 'button', class: 'device-item fleet-item', tabindex: '-1' },
      h(d, 'span', { class: 'presence-dot', 'aria-hidden': 'true' }),
      name,
      seen,
      h(d, 'span', { class: 'device-line' }, values, lost),
      h(d, 'span', { class: 'device-chips' }, alert, firmware),
    );
    const item = h(d, 'li', { class: 'fleet-row' }, button);
    this.list.append(item);
    return {
      item,
      button,
      name,
      seen,
      values,
      lost,
      firmware,
      alert,
      deviceId: '',
      row: null,
      index: -1,
      selected: false,
    };
  }

  private onKey(event: KeyboardEvent): void {
    const ids = this.model.shownIds();
    if (ids.length === 0) return;
    const current = Math.max(0, this.activeIndex(ids));
    const page = Math.max(1, Math.floor(this.viewportHeight / this.rowHeight) - 1);
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: ids.length - 1,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const index = Math.min(ids.length - 1, Math.max(0, target));
    this.active = ids[index] as string;
    this.scrollToIndex(index);
    this.draw();
    this.views.get(this.active)?.button.focus({ preventScroll: true });
  }

  private scrollToIndex(index: number): void {
    const top = index * this.rowHeight;
    const bottom = top + this.rowHeight;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (bottom > this.scroller.scrollTop + this.viewportHeight) {
      this.scroller.scrollTop = bottom - this.viewportHeight;
    }
  }

  private idOf(target: EventTarget | null): string | undefined {
    return (target as Element | null)?.closest<HTMLElement>('button[data-device-id]')?.dataset.deviceId;
  }
}

/** "21.4 °C · 48 % · 1013 hPa", or "No readings yet". */
function valuesText(row: FleetRow): string {
  if (row.temperature === null && row.humidite === null && row.pression === null) return 'No readings yet';
  const parts: string[] = [];
  if (row.temperature !== null) parts.push(`${row.temperature.toFixed(1)} °C`);
  if (row.humidite !== null) parts.push(`${row.humidite.toFixed(0)} %`);
  if (row.pression !== null) parts.push(`${row.pression.toFixed(0)} hPa`);
  return parts.join(' · ');
}

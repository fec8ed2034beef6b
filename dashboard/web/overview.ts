import { byId, h, setText } from './dom.js';
import { FleetList } from './fleet.js';
import type { FleetModel } from './fleet-model.js';
import { DEFAULT_SORT, type FleetSort, type SortKey, sortIds } from './fleet-sort.js';
import { OverviewRowView } from './overview-row.js';
import type { UnitChoice } from './units.js';

/** The overview's columns: what the header says, and which way a first press sorts. */
const COLUMNS: readonly { key: SortKey; label: string; firstDescending: boolean }[] = [
  { key: 'device_id', label: 'Device', firstDescending: false },
  { key: 'online', label: 'Status', firstDescending: false },
  { key: 'alerte', label: 'Alert', firstDescending: true },
  { key: 'temperature', label: 'Temperature', firstDescending: true },
  { key: 'humidite', label: 'Humidity', firstDescending: true },
  { key: 'pression', label: 'Pressure', firstDescending: true },
  { key: 'batterie', label: 'Battery', firstDescending: false },
  { key: 'last_seen', label: 'Last seen', firstDescending: true },
];

const NO_IDS: readonly string[] = [];

/** "highest first", "offline first"…: what a sort's direction means for its column. */
function directionWords(sort: FleetSort): string {
  switch (sort.key) {
    case 'device_id':
      return sort.descending ? 'Z to A' : 'A to Z';
    case 'online':
      return sort.descending ? 'online first' : 'offline first';
    case 'alerte':
      return sort.descending ? 'alerting first' : 'alerting last';
    case 'last_seen':
      return sort.descending ? 'most recent first' : 'oldest first';
    default:
      return sort.descending ? 'highest first' : 'lowest first';
  }
}

/**
 * The fleet overview: every device's latest values in a table, sortable by each column (a header button;
 * pressed again, the other way), filtered by the fleet's counts and search (the same model as the fleet
 * list), virtualised by the fleet list's own `FleetList`. The sorted order is computed again only after a
 * change of the fleet, filter or sort, and only while the overview is shown; scrolling reuses it.
 */
export class OverviewPanel {
  private readonly list: FleetList;
  private readonly head: HTMLElement;
  private readonly status: HTMLElement;
  private readonly headers = new Map<SortKey, HTMLButtonElement>();
  private sorted: readonly string[] | null = null;
  private shown = false;
  private sortValue: FleetSort = DEFAULT_SORT;

  constructor(
    doc: Document,
    win: Window,
    private readonly model: FleetModel,
    units: () => UnitChoice,
    onPick: (deviceId: string) => void,
    private readonly onSort: (sort: FleetSort) => void,
    now: () => number,
  ) {
    this.head = byId(doc, 'overview-head');
    this.status = byId(doc, 'overview-status');
    this.list = new FleetList(
      doc,
      win,
      {
        list: byId(doc, 'overview-list'),
        scroller: byId(doc, 'overview-scroll'),
        ids: () => this.ids(),
        row: (id) => this.model.row(id),
        createView: () => new OverviewRowView(doc, units),
      },
      onPick,
      now,
    );
    for (const column of COLUMNS) {
      const button = h(
        doc,
        'button',
        {
          type: 'button',
          class: 'overview-sort',
          'data-sort': column.key,
          'aria-describedby': 'overview-status',
        },
        h(doc, 'span', {}, column.label),
        h(doc, 'span', { class: 'sort-mark', 'aria-hidden': 'true' }),
      );
      this.headers.set(column.key, button);
      this.head.append(button);
    }
  }

  get sort(): FleetSort {
    return this.sortValue;
  }

  get visible(): boolean {
    return this.list.visible;
  }

  start(): void {
    this.list.start();
    for (const column of COLUMNS) {
      this.headers.get(column.key)?.addEventListener('click', () => {
        const current = this.sortValue;
        const descending = current.key === column.key ? !current.descending : column.firstDescending;
        this.setSort({ key: column.key, descending });
        this.onSort(this.sortValue);
      });
    }
    this.renderSort();
  }

  /** Shown (the overview view) or hidden: sorting is done only while it is shown. */
  setShown(shown: boolean): void {
    if (shown === this.shown) return;
    this.shown = shown;
    this.invalidate();
  }

  setSort(sort: FleetSort): void {
    if (sort.key === this.sortValue.key && sort.descending === this.sortValue.descending) return;
    this.sortValue = sort;
    this.renderSort();
    this.invalidate();
  }

  /** The fleet, the filter or the search changed. */
  invalidate(): void {
    this.sorted = null;
    this.list.invalidate();
  }

  /** The units changed: every row drawn again. */
  repaint(): void {
    this.list.repaint();
  }

  tick(): void {
    if (this.shown) this.list.tick();
  }

  focusFirst(): void {
    this.list.focusFirst();
  }

  firstId(): string | null {
    return this.list.firstId();
  }

  private ids(): readonly string[] {
    if (!this.shown) return NO_IDS;
    if (this.sorted === null) {
      this.sorted = sortIds(this.model.shownIds(), (id) => this.model.row(id), this.sortValue);
    }
    return this.sorted;
  }

  private renderSort(): void {
    const sort = this.sortValue;
    for (const [key, button] of this.headers) {
      const active = key === sort.key;
      button.dataset.direction = active ? (sort.descending ? 'desc' : 'asc') : '';
    }
    const label = COLUMNS.find((column) => column.key === sort.key)?.label ?? sort.key;
    setText(this.status, `Sorted by ${label.toLowerCase()}, ${directionWords(sort)}`);
  }
}

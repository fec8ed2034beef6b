import { byId } from './dom.js';
import type { FleetPanel } from './fleet-panel.js';
import { DEFAULT_SORT, type FleetSort, sortFromText, sortToText } from './fleet-sort.js';
import { OverviewPanel } from './overview.js';
import type { HashSelection, PageView } from './selection.js';
import type { UnitChoice } from './units.js';

/**
 * The page's two views, one shown at a time: the selected device, and the fleet overview. The tabs above
 * them are links to each (`#device=ID`, `#overview`): the URL says which is shown, so it can be bookmarked,
 * and Back returns to the previous one. The overview's sort is in its URL too.
 */
export class PageViews {
  private current: PageView = 'device';
  private readonly deviceTab: HTMLAnchorElement;
  private readonly overviewTab: HTMLAnchorElement;
  private readonly overviewSection: HTMLElement;
  private readonly overview: OverviewPanel;

  /** The overview shows `fleet`'s model, in `units`; a row clicked is `onPick`ed. */
  constructor(
    private readonly doc: Document,
    win: Window,
    private readonly selection: HashSelection,
    fleet: FleetPanel,
    units: () => UnitChoice,
    onPick: (deviceId: string) => void,
    now: () => number,
  ) {
    this.overview = new OverviewPanel(doc, win, fleet.model, units, onPick, (sort) => this.sorted(sort), now);
    fleet.add(this.overview);
    this.deviceTab = byId<HTMLAnchorElement>(doc, 'tab-device');
    this.overviewTab = byId<HTMLAnchorElement>(doc, 'tab-overview');
    this.overviewSection = byId(doc, 'overview');
  }

  get view(): PageView {
    return this.current;
  }

  /** Takes the view (and the overview's sort) from the URL; true when the view changed. */
  readHash(): boolean {
    const view = this.selection.view();
    if (view === 'overview') this.overview.setSort(sortFromText(this.selection.sort()) ?? DEFAULT_SORT);
    const changed = view !== this.current;
    this.current = view;
    return changed;
  }

  /** A device was picked (from the overview, too): the device view is shown. */
  toDevice(): void {
    this.current = 'device';
  }

  /** The sort chosen on the overview goes into its URL, without a history entry per click. */
  sorted(sort: FleetSort): void {
    const isDefault = sort.key === DEFAULT_SORT.key && sort.descending === DEFAULT_SORT.descending;
    if (this.current === 'overview') this.selection.writeOverview(isDefault ? null : sortToText(sort), false);
  }

  /** Shows the current view: its tab marked, the other's section hidden; `selected` is the device tab's. */
  render(selected: string | null): void {
    const overview = this.current === 'overview';
    this.doc.body.dataset.view = this.current;
    this.overviewSection.hidden = !overview;
    this.overview.setShown(overview);
    const sort = this.overview.sort;
    const isDefault = sort.key === DEFAULT_SORT.key && sort.descending === DEFAULT_SORT.descending;
    const overviewHref = isDefault ? '#overview' : `#overview&sort=${sortToText(sort)}`;
    if (this.overviewTab.getAttribute('href') !== overviewHref) this.overviewTab.href = overviewHref;
    const deviceHref = selected === null ? '#device' : `#device=${encodeURIComponent(selected)}`;
    if (this.deviceTab.getAttribute('href') !== deviceHref) this.deviceTab.href = deviceHref;
    for (const [tab, current] of [
      [this.deviceTab, !overview],
      [this.overviewTab, overview],
    ] as const) {
      if (current) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
  }
}

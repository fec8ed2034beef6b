import type { RowState } from './fleet-row.js';
import type { RowPlace } from './row-place.js';
import type { FleetRow } from './types.js';

/** Rows drawn above and below the visible ones, so a small scroll shows rows already there. */
const OVERSCAN = 4;
/** The row height when the stylesheet does not say (--fleet-row-height). */
const DEFAULT_ROW_HEIGHT = 72;

/** One row element of a virtualised list, reused for one device after another (FleetRowView, OverviewRowView). */
export interface RowView {
  readonly item: HTMLLIElement;
  readonly button: HTMLButtonElement;
  /** The row shown (null while the element is spare, or to draw it again). */
  row: FleetRow | null;
  show(row: FleetRow, at: RowPlace, state: RowState, now: number): void;
  showSeen(now: number): void;
  release(): void;
}

/** What a list draws: its elements, the ids it shows in order, their rows, and how a row element is made. */
export interface ListSource {
  /** The list element (a `ul`) whose height is the whole list's, and its scroll box. */
  list: HTMLElement;
  scroller: HTMLElement;
  ids(): readonly string[];
  row(deviceId: string): FleetRow | undefined;
  createView(): RowView;
}

/**
 * A list of devices to pick from, virtualised (the fleet list beside a device, and the fleet overview): only the rows in view (and a few around them) exist, in a
 * pool of elements reused as the list scrolls, placed by a transform at their position in a spacer as tall
 * as the whole list. Draws happen at most once per animation frame (`invalidate`), and touch only the rows
 * whose data changed. Rows are buttons in a list (Tab reaches the list once; the arrow keys, Home, End,
 * Page Up and Page Down move within it, Enter picks); each item says its position in the whole list.
 * (The search field's Down arrow leads into the list, its Enter picks the first device found.)
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
  /** A device whose row is to be scrolled into view once the list has it (a link to it, a fallback). */
  private revealing: string | null = null;
  private resize: ResizeObserver | null = null;

  constructor(
    private readonly doc: Document,
    private readonly win: Window,
    private readonly source: ListSource,
    private readonly onPick: (deviceId: string) => void,
    private readonly now: () => number,
  ) {
    this.list = source.list;
    this.scroller = source.scroller;
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
    // Leaving the list, Tab's way back in is the device shown again (not one moved to and left).
    this.list.addEventListener('focusout', (event) => {
      const to = event.relatedTarget as Node | null;
      if (!to || !this.list.contains(to)) this.active = null;
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

  /** Draws now what waits for the next frame (from the page's own frame, so that both show the same). */
  flush(): void {
    if (this.frame === null) return;
    this.win.cancelAnimationFrame(this.frame);
    this.frame = null;
    this.draw();
  }

  /** Shows `deviceId`'s row at the next draw where the list has it, scrolling as little as needed. */
  reveal(deviceId: string): void {
    this.revealing = deviceId;
    this.invalidate();
  }

  /** Refreshes the "last seen" times of the rows drawn (one timer for the page calls it every second). */
  tick(): void {
    const now = this.now();
    for (const view of this.views.values()) view.showSeen(now);
  }

  /** Every row is drawn again at the next frame (what a row shows changed, e.g. its units). */
  repaint(): void {
    for (const view of this.views.values()) view.row = null;
    this.invalidate();
  }

  /** Whether the list is on the page (not in a hidden view). */
  get visible(): boolean {
    return this.scroller.getClientRects().length > 0;
  }

  /** Draws the rows in view now. */
  draw(): void {
    const ids = this.source.ids();
    // Read before any write (no forced layout); a list grown shorter will clamp it, as here.
    let top = Math.min(
      this.scroller.scrollTop,
      Math.max(0, ids.length * this.rowHeight - this.viewportHeight),
    );
    const height = `${ids.length * this.rowHeight}px`;
    if (this.list.style.height !== height) this.list.style.height = height;
    // Once the list has the row and is laid out (a page still hidden behind the login has no height).
    if (this.revealing !== null && this.scroller.clientHeight > 0) {
      const index = ids.indexOf(this.revealing);
      if (index >= 0) {
        this.revealing = null;
        this.viewportHeight = this.scroller.clientHeight;
        this.scrollToIndex(index);
        top = this.scroller.scrollTop;
      }
    }
    const first = Math.max(0, Math.floor(top / this.rowHeight) - OVERSCAN);
    const last = Math.min(ids.length - 1, Math.ceil((top + this.viewportHeight) / this.rowHeight) + OVERSCAN);
    const wanted = new Map<string, number>();
    for (let index = first; index <= last; index++) wanted.set(ids[index] as string, index);
    const activeIndex = this.activeIndex(ids);
    if (activeIndex >= 0) wanted.set(ids[activeIndex] as string, activeIndex);

    for (const [id, view] of this.views) {
      if (wanted.has(id)) continue;
      // A row leaving with the focus would take it away: the list keeps the focus instead.
      if (view.item.contains(this.doc.activeElement)) this.list.focus();
      this.views.delete(id);
      view.release();
      this.spare.push(view);
    }
    const now = this.now();
    const activeId = ids[activeIndex];
    for (const [id, index] of wanted) {
      const row = this.source.row(id);
      if (!row) continue;
      let view = this.views.get(id);
      if (!view) {
        view = this.spare.pop() ?? this.createView();
        this.views.set(id, view);
      }
      view.show(
        row,
        { index, total: ids.length, rowHeight: this.rowHeight },
        { selected: id === this.selected, active: id === activeId },
        now,
      );
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

  private createView(): RowView {
    const view = this.source.createView();
    this.list.append(view.item);
    return view;
  }

  private onKey(event: KeyboardEvent): void {
    const ids = this.source.ids();
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
    this.focusAt(Math.min(ids.length - 1, Math.max(0, target)));
  }

  /** The device of the list's first row (null when it is empty). */
  firstId(): string | null {
    return this.source.ids()[0] ?? null;
  }

  /** Moves the focus into the list, to its first row (from the search field). */
  focusFirst(): void {
    if (this.source.ids().length > 0) this.focusAt(0);
  }

  private focusAt(index: number): void {
    this.active = this.source.ids()[index] ?? null;
    if (this.active === null) return;
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

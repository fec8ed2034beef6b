import { byId } from './dom.js';
import { FleetList } from './fleet.js';
import { FleetFilterBar } from './fleet-filter.js';
import { FleetModel } from './fleet-model.js';
import { FleetRowView } from './fleet-row.js';
import type { DeviceSummary, FleetEventData } from './types.js';
import type { UnitChoice } from './units.js';

/** Another view of the fleet's model (the overview), kept in step with it, the filters and the clock. */
export interface FleetView {
  start(): void;
  /** The model, the filter or the search changed. */
  invalidate(): void;
  /** What the rows show changed (the units): every row drawn again. */
  repaint(): void;
  tick(): void;
  focusFirst(): void;
  /** The device of its first row, in its order. */
  firstId(): string | null;
  readonly visible: boolean;
}

/** The fleet beside the device shown: its model, the counts, search and filters, and the virtualised list. */
export class FleetPanel {
  readonly model = new FleetModel();
  private readonly list: FleetList;
  private readonly filters: FleetFilterBar;
  private readonly others: FleetView[] = [];

  /** `units`: the units chosen, read at each draw of a row. */
  constructor(
    doc: Document,
    win: Window,
    onPick: (deviceId: string) => void,
    now: () => number,
    units: () => UnitChoice,
  ) {
    this.list = new FleetList(
      doc,
      win,
      {
        list: byId(doc, 'fleet-list'),
        scroller: byId(doc, 'fleet-scroll'),
        ids: () => this.model.shownIds(),
        row: (id) => this.model.row(id),
        createView: () => new FleetRowView(doc, units),
      },
      onPick,
      now,
    );
    // The search field's Down arrow leads into the list on the page (the overview's, when it is shown), and
    // its Enter shows the device of that list's first row.
    const shown = () => this.others.find((view) => view.visible) ?? this.list;
    this.filters = new FleetFilterBar(doc, this.model, () => this.invalidate(), {
      intoList: () => shown().focusFirst(),
      pickFirst: () => {
        const first = shown().firstId();
        if (first !== null) onPick(first);
      },
    });
  }

  /** Keeps `view` in step with the fleet (call before `start`). */
  add(view: FleetView): void {
    this.others.push(view);
  }

  start(): void {
    this.list.start();
    this.filters.start();
    for (const view of this.others) view.start();
  }

  /** A `fleet` event. */
  apply(event: FleetEventData): void {
    this.model.apply(event);
    this.invalidate();
  }

  /** The watched device's newer summary. */
  follow(summary: DeviceSummary): void {
    this.model.updateFrom(summary);
    this.invalidate();
  }

  remove(deviceId: string): void {
    this.model.remove(deviceId);
    this.invalidate();
  }

  /** The counts, and the device shown marked in the list, in the same frame as the page's panels. */
  render(selected: string | null): void {
    this.list.select(selected);
    this.list.flush();
    this.filters.render();
  }

  reveal(deviceId: string): void {
    this.list.reveal(deviceId);
  }

  tick(): void {
    this.list.tick();
    for (const view of this.others) view.tick();
  }

  /** The units changed: the rows show their values again. */
  repaint(): void {
    this.list.repaint();
    for (const view of this.others) view.repaint();
  }

  /** Nothing known any more (the session ended): the whole fleet and no search next time. */
  clear(): void {
    this.model.clear();
    this.filters.reset();
    this.invalidate();
  }

  private invalidate(): void {
    this.list.invalidate();
    for (const view of this.others) view.invalidate();
  }
}

import { FleetList } from './fleet.js';
import { FleetFilterBar } from './fleet-filter.js';
import { FleetModel } from './fleet-model.js';
import type { DeviceSummary, FleetEventData } from './types.js';

/** The fleet beside the device shown: its model, the counts, search and filters, and the virtualised list. */
export class FleetPanel {
  readonly model = new FleetModel();
  private readonly list: FleetList;
  private readonly filters: FleetFilterBar;

  constructor(doc: Document, win: Window, onPick: (deviceId: string) => void, now: () => number) {
    this.list = new FleetList(doc, win, this.model, onPick, now);
    this.filters = new FleetFilterBar(doc, this.model, () => this.list.invalidate(), {
      intoList: () => this.list.focusFirst(),
      pick: onPick,
    });
  }

  start(): void {
    this.list.start();
    this.filters.start();
  }

  /** A `fleet` event. */
  apply(event: FleetEventData): void {
    this.model.apply(event);
    this.list.invalidate();
  }

  /** The watched device's newer summary. */
  follow(summary: DeviceSummary): void {
    this.model.updateFrom(summary);
    this.list.invalidate();
  }

  remove(deviceId: string): void {
    this.model.remove(deviceId);
    this.list.invalidate();
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
  }

  /** Nothing known any more (the session ended): the whole fleet and no search next time. */
  clear(): void {
    this.model.clear();
    this.filters.reset();
    this.list.invalidate();
  }
}

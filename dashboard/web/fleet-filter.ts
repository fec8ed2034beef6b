import { byId, setText } from './dom.js';
import { FLEET_FILTERS, type FleetFilter, type FleetModel } from './fleet-model.js';
import type { FleetCounts } from './types.js';

const FILTER_WORDS: Record<FleetFilter, string> = {
  all: '',
  online: 'online ',
  offline: 'offline ',
  alerting: 'alerting ',
};

const COUNT_OF: Record<FleetFilter, keyof FleetCounts> = {
  all: 'devices',
  online: 'online',
  offline: 'offline',
  alerting: 'alerting',
};

/**
 * Above the fleet list: the fleet's counts (devices, online, offline, alerting), each a toggle button that
 * filters the list, the search by device id, and one line saying what the list shows when it does not show
 * the whole fleet (a polite live region: empty, so silent, while the whole fleet is shown). In the search
 * field, the Down arrow goes into the list and Enter shows the first device found.
 */
export class FleetFilterBar {
  private readonly search: HTMLInputElement;
  private readonly result: HTMLElement;
  private readonly buttons = new Map<FleetFilter, HTMLButtonElement>();
  private readonly figures = new Map<FleetFilter, HTMLElement>();
  private shownCounts: FleetCounts | null = null;

  constructor(
    doc: Document,
    private readonly model: FleetModel,
    private readonly onChange: () => void,
    private readonly keys: { intoList(): void; pickFirst(): void },
  ) {
    this.search = byId<HTMLInputElement>(doc, 'fleet-search');
    this.result = byId(doc, 'fleet-summary');
    for (const filter of FLEET_FILTERS) {
      const button = byId<HTMLButtonElement>(doc, `fleet-filter-${filter}`);
      this.buttons.set(filter, button);
      this.figures.set(filter, button.querySelector<HTMLElement>('.count-figure') ?? button);
    }
  }

  start(): void {
    for (const [filter, button] of this.buttons) {
      button.addEventListener('click', () => {
        // Pressing the filter in use shows the whole fleet again.
        this.model.setFilter(this.model.filter === filter ? 'all' : filter);
        this.changed();
      });
    }
    this.search.addEventListener('input', () => {
      this.model.setQuery(this.search.value);
      this.changed();
    });
    this.search.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.search.value !== '') {
        event.preventDefault();
        this.search.value = '';
        this.model.setQuery('');
        this.changed();
      } else if (event.key === 'ArrowDown') {
        event.preventDefault();
        this.keys.intoList();
      } else if (event.key === 'Enter') {
        this.keys.pickFirst();
      }
    });
  }

  /** Shows the counts of the latest `fleet` event (the DOM is touched only when a figure changed). */
  render(): void {
    const counts = this.model.counts;
    if (this.shownCounts !== counts) {
      this.shownCounts = counts;
      for (const filter of FLEET_FILTERS) {
        setText(this.figures.get(filter) as HTMLElement, counts[COUNT_OF[filter]].toLocaleString());
      }
    }
    for (const [filter, button] of this.buttons) {
      const pressed = String(filter === this.model.filter);
      if (button.getAttribute('aria-pressed') !== pressed) button.setAttribute('aria-pressed', pressed);
    }
    setText(this.result, this.describe());
  }

  /** Back to the whole fleet and no search (a new session). */
  reset(): void {
    this.search.value = '';
    this.model.setQuery('');
    this.model.setFilter('all');
    setText(this.result, '');
  }

  private changed(): void {
    this.render();
    this.onChange();
  }

  /** "12 alerting devices match “pi-1”", "No offline devices", "" for the whole fleet. */
  private describe(): string {
    const { filter, query } = this.model;
    if (filter === 'all' && query === '') return '';
    const shown = this.model.shownIds().length;
    const noun = `${FILTER_WORDS[filter]}device${shown === 1 ? '' : 's'}`;
    const figure = shown === 0 ? 'No' : shown.toLocaleString();
    if (query === '') return `${figure} ${noun}`;
    return `${figure} ${noun} ${shown === 1 ? 'matches' : 'match'} “${query}”`;
  }
}

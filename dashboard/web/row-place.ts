import type { FleetRow } from './types.js';

/** Where a row element stands in a virtualised list: `index` of `total`, drawn at `index × rowHeight`. */
export interface RowPlace {
  index: number;
  total: number;
  rowHeight: number;
}

/**
 * Shows `item` at `at`: placed by a transform, its position told to screen readers (aria-posinset of
 * aria-setsize), the DOM touched only for what changed. `shownAt` is the index it stood at (-1: none);
 * the index it stands at now is returned. Shared by the fleet list's rows and the overview's.
 */
export function placeRow(item: HTMLLIElement, at: RowPlace, shownAt: number): number {
  item.hidden = false;
  if (shownAt !== at.index) {
    item.style.transform = `translateY(${at.index * at.rowHeight}px)`;
    item.setAttribute('aria-posinset', String(at.index + 1));
  }
  if (item.getAttribute('aria-setsize') !== String(at.total)) {
    item.setAttribute('aria-setsize', String(at.total));
  }
  return at.index;
}

/** A row element put aside, to be reused for another device: hidden, and no longer naming this one. */
export function setAside(view: {
  item: HTMLLIElement;
  button: HTMLButtonElement;
  row: FleetRow | null;
}): void {
  view.item.hidden = true;
  view.row = null;
  delete view.button.dataset.deviceId;
}

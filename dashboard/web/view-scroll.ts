import type { PageView } from './selection.js';

interface Place {
  view: PageView;
  /** The device shown in the device view (null in the overview). */
  device: string | null;
}

/**
 * Each view's own scroll position. The page scrolls as a whole, and its two views differ in height: left
 * alone, the overview would open where the device view was scrolled to, its top cut off. So the position
 * is noted when the page leaves a view and given back when it returns to it; a view seen for the first
 * time, or the device view showing another device than the one left, opens at the top.
 */
export class ViewScroll {
  private shown: Place | null = null;
  private readonly saved = new Map<PageView, Place & { y: number }>();

  constructor(private readonly win: Window) {}

  /** The page places the views itself: the browser's own restoring on Back would undo it. */
  start(): void {
    this.win.history.scrollRestoration = 'manual';
  }

  /**
   * The page has just drawn `place`; `leftAt` is where it was scrolled to before drawing (where the view
   * shown until then was). Nothing moves unless the view changed.
   */
  drawn(place: Place, leftAt: number): void {
    const before = this.shown;
    this.shown = place;
    // The first draw keeps the browser's position (a reload of a scrolled page).
    if (before === null || before.view === place.view) return;
    this.saved.set(before.view, { ...before, y: leftAt });
    const back = this.saved.get(place.view);
    const y = back !== undefined && back.device === place.device ? back.y : 0;
    this.win.scrollTo({ top: y, left: this.win.scrollX, behavior: 'instant' });
  }
}

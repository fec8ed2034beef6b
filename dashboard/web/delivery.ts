import { h } from './dom.js';
import type { DeliveryFigures } from './types.js';

/** What "lost" means, in the tooltip of a delivery figure. */
const LOST_MEANING =
  'Lost: readings the device took that never reached the dashboard, found as gaps in the numbers (seq) ' +
  'it gives its readings within a storage epoch.';

/** What a conflict is: after "1 conflict" or "Conflicts". */
export const CONFLICT_MEANING =
  'a reading sent again under the same number with other values; the first one received is kept.';

/** "1 conflict", "3 conflicts", "12,480 readings". */
export function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** The tooltip of a delivery figure: the figure in words, then what its terms mean. */
function deliveryTitle(figures: DeliveryFigures): string {
  const lines = [
    `${count(figures.received, 'reading', 'readings')} received, ${figures.lost.toLocaleString()} lost.`,
    LOST_MEANING,
  ];
  if (figures.conflicts > 0) lines.push(`Conflicts: ${CONFLICT_MEANING}`);
  return lines.join('\n');
}

/**
 * Fills `element` with "12,480 received · 3 lost" (and "· 1 conflict" when there are conflicts), each
 * term in a span of its own (`delivery-received`, `delivery-lost`, `delivery-conflicts`) so that a loss
 * can stand out; the element gets `data-lost` and `data-conflicts` (true when above 0) and the tooltip.
 * "No readings yet" before the first one. Unchanged figures leave the element alone.
 */
export function showDelivery(doc: Document, element: HTMLElement, figures: DeliveryFigures): void {
  const key = `${figures.received}/${figures.lost}/${figures.conflicts}`;
  if (element.dataset.figures === key) return;
  element.dataset.figures = key;
  element.dataset.lost = String(figures.lost > 0);
  element.dataset.conflicts = String(figures.conflicts > 0);
  element.title = deliveryTitle(figures);
  if (figures.received + figures.lost + figures.conflicts === 0) {
    element.replaceChildren('No readings yet');
    return;
  }
  const children: (Node | string)[] = [
    h(doc, 'span', { class: 'delivery-received' }, `${figures.received.toLocaleString()} received`),
    ' · ',
    h(doc, 'span', { class: 'delivery-lost' }, `${figures.lost.toLocaleString()} lost`),
  ];
  if (figures.conflicts > 0) {
    children.push(
      ' · ',
      h(doc, 'span', { class: 'delivery-conflicts' }, count(figures.conflicts, 'conflict', 'conflicts')),
    );
  }
  element.replaceChildren(...children);
}

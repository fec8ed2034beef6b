/** Small DOM helpers: finding the page's fixed elements and building new ones. */

export function byId<T extends HTMLElement = HTMLElement>(root: Document, id: string): T {
  const element = root.getElementById(id);
  if (!element) throw new Error(`The page has no element with id "${id}".`);
  return element as T;
}

type Attributes = Record<string, string | number | boolean | null | undefined>;

/** Creates an element; `true` sets a bare attribute, false/null/undefined leaves it out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  root: Document,
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = root.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  root: Document,
  tag: K,
  attributes: Attributes = {},
): SVGElementTagNameMap[K] {
  const element = root.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, String(value));
  }
  return element;
}

/** Sets text only when it changed, so screen readers and selections are not disturbed every second. */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

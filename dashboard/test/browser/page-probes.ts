import type { Page } from 'playwright-core';

/**
 * What the browser tests read from the page. The test program is compiled without DOM types, so the
 * callbacks run in the page describe the little they touch themselves.
 */
interface GaugeElement {
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): { textContent: string | null } | null;
}

interface ChartGlobal {
  Chart: {
    getChart(canvas: unknown):
      | {
          data: { datasets: { data: { x: number; y: number }[] }[] };
          options: { scales?: { x?: { type?: string } } };
          scales: { x?: { min: number; max: number } };
        }
      | undefined;
  };
}

interface StyleGlobal {
  getComputedStyle(element: unknown): {
    outlineStyle: string;
    outlineWidth: string;
    boxShadow: string;
    color: string;
  };
}

export interface GaugeReading {
  value: string | undefined;
  text: string | null | undefined;
}

/** Each gauge's raw value (data-value) and the text it shows, by metric. */
export function readGauges(page: Page): Promise<Record<string, GaugeReading>> {
  return page
    .locator('.gauge')
    .evaluateAll((gauges: GaugeElement[]) =>
      Object.fromEntries(
        gauges.map((gauge) => [
          gauge.dataset.metric,
          { value: gauge.dataset.value, text: gauge.querySelector('.gauge-value')?.textContent },
        ]),
      ),
    );
}

/**
 * The temperature chart as Chart.js holds it (the page's global `Chart`; nothing else is exposed): how many
 * points, their times in order, the last one's, the times of those drawn as lone dots, and the axis type.
 */
export function readTemperatureChart(page: Page): Promise<{
  count: number;
  xs: number[];
  lastX: number;
  lone: number[];
  axis?: string;
  /** The time axis drawn, epoch ms. */
  xMin?: number;
  xMax?: number;
}> {
  return page.locator('canvas[data-metric="temperature"]').evaluate((canvas: unknown) => {
    const chart = (globalThis as unknown as ChartGlobal).Chart.getChart(canvas);
    const [main, lone] = chart?.data.datasets ?? [];
    const xs = (main?.data ?? []).map((point) => point.x);
    return {
      count: xs.length,
      xs,
      lastX: xs[xs.length - 1] ?? 0,
      lone: (lone?.data ?? []).map((point) => point.x),
      axis: chart?.options.scales?.x?.type,
      xMin: chart?.scales.x?.min,
      xMax: chart?.scales.x?.max,
    };
  });
}

interface FocusGlobal extends StyleGlobal {
  document: { activeElement: { id: string; tagName: string } | null; body: unknown };
}

/** The focused element's id ('' without one, null on the body) and whether it draws a focus ring. */
export function focusState(page: Page): Promise<{ id: string | null; ring: boolean }> {
  return page.evaluate(() => {
    const scope = globalThis as unknown as FocusGlobal;
    const element = scope.document.activeElement;
    if (!element || element === scope.document.body) return { id: null, ring: false };
    const style = scope.getComputedStyle(element);
    const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0;
    return { id: element.id, ring: outline || style.boxShadow !== 'none' };
  });
}

/** How wide the page's content is, to find a horizontal scroll. */
export function scrollWidth(page: Page): Promise<number> {
  return page.locator('html').evaluate((html: { scrollWidth: number }) => html.scrollWidth);
}

/** Scrolls to the top, so a screenshot starts with the page's heading (sticky bars stay in place). */
export async function scrollToTop(page: Page): Promise<void> {
  await page.evaluate(() =>
    (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
  );
}

interface CommandItem {
  querySelector(selector: string): {
    textContent: string | null;
    getAttribute(name: string): string | null;
  } | null;
}

/** The newest entry of the command history as the page shows it. */
export function readNewestCommand(
  page: Page,
): Promise<{ what?: string | null; by?: string | null; outcome?: string | null; when?: string | null }> {
  return page
    .locator('.command')
    .first()
    .evaluate((item: CommandItem) => ({
      what: item.querySelector('.command-what')?.textContent,
      by: item.querySelector('.command-by')?.textContent,
      outcome: item.querySelector('.command-outcome')?.textContent,
      when: item.querySelector('time')?.getAttribute('title'),
    }));
}

/**
 * The computed text colour of the element at `selector`, or null while it is being replaced (a list
 * re-rendered between finding the element and reading its style): poll it.
 */
export function textColour(page: Page, selector: string): Promise<string | null> {
  return page.locator(selector).evaluate((element: { isConnected: boolean }) => {
    if (!element.isConnected) return null;
    return (globalThis as unknown as StyleGlobal).getComputedStyle(element).color;
  });
}

/** Scrolls the fleet list (its own scroll box) to `top` pixels. */
export async function scrollFleetTo(page: Page, top: number): Promise<void> {
  await page.locator('#fleet-scroll').evaluate((box: { scrollTop: number }, y: number) => {
    box.scrollTop = y;
  }, top);
}

/**
 * Chromium's own counts for the page (DevTools protocol): DOM nodes, event listeners, JS heap in use. Taken
 * after two animation frames (what the page draws next is drawn) and a garbage collection: Chromium counts the
 * nodes a redraw let go until they are collected, which is when the collector runs, not what the page holds.
 */
export async function pageMetrics(page: Page): Promise<Record<string, number>> {
  await page.evaluate(() => {
    const frame = (globalThis as unknown as { requestAnimationFrame(run: () => void): number })
      .requestAnimationFrame;
    return new Promise((resolve) => frame(() => frame(() => resolve(undefined))));
  });
  const session = await page.context().newCDPSession(page);
  try {
    await session.send('HeapProfiler.collectGarbage');
    await session.send('Performance.enable');
    const { metrics } = await session.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((metric) => [metric.name, metric.value]));
  } finally {
    await session.detach();
  }
}

interface FleetItem {
  hidden: boolean;
  getAttribute(name: string): string | null;
  querySelector(selector: string): { dataset: { deviceId?: string } } | null;
}

/** The ids of the fleet rows drawn, in their order in the list (aria-posinset), not the pool's DOM order. */
export function shownRows(page: Page): Promise<string[]> {
  return page.locator('li.fleet-row').evaluateAll((items: FleetItem[]) =>
    items
      .filter((item) => !item.hidden)
      .map((item) => ({
        at: Number(item.getAttribute('aria-posinset')),
        id: item.querySelector('button')?.dataset.deviceId ?? '',
      }))
      .sort((a, b) => a.at - b.at)
      .map((item) => item.id),
  );
}

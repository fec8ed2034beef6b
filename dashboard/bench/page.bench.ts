/**
 * The page with a large fleet, in Chromium; prints numbers (no target is asserted). Run with
 * `npx vitest bench --run dashboard/bench/page.bench.ts` (after `npx tsc -b`, which compiles the page).
 *
 * The page is served by the test's stand-in server (dashboard/test/browser/fake-fleet.ts), which speaks the
 * event stream's protocol: no broker or database sets the pace, only the page. It measures:
 *  - load: from navigation to the list of every device drawn (counts shown, first rows in place), and the
 *    main-thread time Chromium spent until then;
 *  - idle: 10 s with no event, as a floor for the next figures (recording the frames costs too);
 *  - updates: for BENCH_PAGE_SECONDS, one `fleet` event a second with BENCH_PAGE_CHANGED changed rows
 *    (default: every device, as when each reports every second): the main thread's time per event (parse,
 *    apply, draw), and the animation frames' intervals meanwhile (a long one is a stutter);
 *  - scrolling: the list scrolled by several rows every frame for 3 s, the frames' intervals;
 *  - picking another device: from the click to its summary shown (a new stream, its fleet event full again);
 *  - growth: DOM nodes, event listeners and JS heap (after a garbage collection) before and after the updates.
 *
 * BENCH_PAGE_DEVICES (default 10000), BENCH_PAGE_SECONDS (60) and BENCH_PAGE_CHANGED change the sizes.
 * BENCH_PAGE_VIEW=overview measures the fleet overview instead of the device view's list, sorted by
 * temperature (so that every update reorders it), scrolled and picked from the same way.
 * BENCH_PAGE_URL measures a running dashboard instead (e.g. `npm start` with `npm run simulate -- --devices
 * 1000`, logins off): its own fleet and pace, the same figures.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { hasChromium, launchChromium } from '../test/browser/chromium.js';
import { FakeFleetServer, fakeRow } from '../test/browser/fake-fleet.js';

const DEVICES = Number(process.env.BENCH_PAGE_DEVICES ?? 10_000);
const SECONDS = Number(process.env.BENCH_PAGE_SECONDS ?? 60);
const CHANGED = Math.min(DEVICES, Number(process.env.BENCH_PAGE_CHANGED ?? DEVICES));
/** A running dashboard to measure instead of the stand-in server. */
const LIVE = process.env.BENCH_PAGE_URL;
const OVERVIEW = process.env.BENCH_PAGE_VIEW === 'overview';
/** The view measured: its address, its rows and its scroll box. */
const HASH = OVERVIEW ? '#overview&sort=temperature-desc' : '';
const ROW = OVERVIEW ? 'li.overview-row' : 'li.fleet-row';
const SCROLL_BOX = OVERVIEW ? '#overview-scroll' : '#fleet-scroll';

interface FrameGlobal {
  __frames: number[];
  __recording: boolean;
  requestAnimationFrame(callback: (time: number) => void): number;
  performance: { now(): number };
  document: {
    querySelector(selector: string): { textContent: string | null; scrollTop: number } | null;
    querySelectorAll(selector: string): { length: number };
  };
}

/** Chromium's counters (DevTools protocol Performance.getMetrics); durations in seconds. */
interface Metrics {
  Nodes: number;
  JSEventListeners: number;
  JSHeapUsedSize: number;
  TaskDuration: number;
  ScriptDuration: number;
  LayoutDuration: number;
  RecalcStyleDuration: number;
}

async function metrics(session: CDPSession): Promise<Metrics> {
  const { metrics: list } = await session.send('Performance.getMetrics');
  const value = (name: string) => list.find((metric) => metric.name === name)?.value ?? Number.NaN;
  return {
    Nodes: value('Nodes'),
    JSEventListeners: value('JSEventListeners'),
    JSHeapUsedSize: value('JSHeapUsedSize'),
    TaskDuration: value('TaskDuration'),
    ScriptDuration: value('ScriptDuration'),
    LayoutDuration: value('LayoutDuration'),
    RecalcStyleDuration: value('RecalcStyleDuration'),
  };
}

/** Starts recording the intervals between animation frames in the page. */
function recordFrames(page: Page): Promise<void> {
  return page.evaluate(() => {
    const scope = globalThis as unknown as FrameGlobal;
    scope.__frames = [];
    scope.__recording = true;
    let last = scope.performance.now();
    const step = (time: number) => {
      if (!scope.__recording) return;
      scope.__frames.push(time - last);
      last = time;
      scope.requestAnimationFrame(step);
    };
    scope.requestAnimationFrame(step);
  });
}

function scrollFleetToTop(page: Page): Promise<void> {
  return page.evaluate((selector: string) => {
    const box = (globalThis as unknown as FrameGlobal).document.querySelector(selector);
    if (box) box.scrollTop = 0;
  }, SCROLL_BOX);
}

function stopFrames(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const scope = globalThis as unknown as FrameGlobal;
    scope.__recording = false;
    return scope.__frames.slice(1);
  });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const server = new FakeFleetServer();
let browser: Browser;
let page: Page;
let session: CDPSession;
const results: [string, string][] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  if (!LIVE) {
    server.setRows(Array.from({ length: DEVICES }, (_, index) => fakeRow(index)));
    await server.start();
  }
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
}, 60_000);

afterAll(async () => {
  console.log(
    LIVE
      ? `\nThe page of ${LIVE}, in Chromium (${browser?.version()}), ${SECONDS} s of its own updates:`
      : `\nThe page with ${DEVICES.toLocaleString('en-US')} devices, in Chromium (${browser?.version()}), ` +
          `${SECONDS} s of updates of ${CHANGED.toLocaleString('en-US')} rows a second:`,
  );
  for (const [what, value] of results) console.log(`  ${what.padEnd(58)} ${value}`);
  await browser?.close();
  if (!LIVE) await server.stop();
});

describe.skipIf(!hasChromium)(`the page with ${DEVICES.toLocaleString('en-US')} devices`, () => {
  bench(
    'load, a minute of updates, scrolling',
    async () => {
      // The stand-in's fleet is known; a live one is drawn once it counts any device.
      const expected = LIVE ? null : DEVICES.toLocaleString('en-US');
      await page.goto(`${LIVE ?? server.base}/${HASH}`);
      const loaded = await page.waitForFunction(
        ({ count, row }: { count: string | null; row: string }) => {
          const scope = globalThis as unknown as FrameGlobal;
          const all = scope.document.querySelector('#fleet-filter-all .count-figure')?.textContent ?? '0';
          const drawn = scope.document.querySelectorAll(`${row}:not([hidden])`).length > 0;
          const counted = count === null ? all !== '0' : all === count;
          return counted && drawn ? scope.performance.now() : false;
        },
        { count: expected, row: ROW },
        { polling: 'raf', timeout: 60_000 },
      );
      const afterLoad = await metrics(session);
      results.push(['load: navigation to the whole list drawn', ms((await loaded.jsonValue()) as number)]);
      results.push(['load: main-thread script time until then', ms(afterLoad.ScriptDuration * 1000)]);
      results.push([
        'load: main-thread layout + style time until then',
        ms((afterLoad.LayoutDuration + afterLoad.RecalcStyleDuration) * 1000),
      ]);

      // What the page costs with nothing arriving, its frames recorded as below: the floor of the figures.
      const IDLE_SECONDS = 10;
      await recordFrames(page);
      const idleStart = await metrics(session);
      await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
      const idleEnd = await metrics(session);
      await stopFrames(page);
      results.push([
        'idle (no event, frames recorded): main-thread time per second',
        ms(((idleEnd.TaskDuration - idleStart.TaskDuration) * 1000) / IDLE_SECONDS),
      ]);

      await session.send('HeapProfiler.collectGarbage');
      const before = await metrics(session);
      await recordFrames(page);
      let turn = 0;
      for (let second = 0; second < SECONDS; second++) {
        turn++;
        if (LIVE) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          continue;
        }
        const rows = [];
        for (let i = 0; i < CHANGED; i++) {
          const index = (i * Math.max(1, Math.floor(DEVICES / CHANGED)) + turn) % DEVICES;
          rows.push(
            fakeRow(index, {
              temperature: 20 + ((index + turn) % 100) / 10,
              last_seen: new Date().toISOString(),
              online: (index + turn) % 50 !== 0,
            }),
          );
        }
        server.update(rows);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      const frames = await stopFrames(page);
      await session.send('HeapProfiler.collectGarbage');
      const after = await metrics(session);
      const perUpdate = ((after.TaskDuration - before.TaskDuration) * 1000) / SECONDS;
      const scriptPerUpdate = ((after.ScriptDuration - before.ScriptDuration) * 1000) / SECONDS;
      if (LIVE) {
        const shown = await page.locator('#fleet-filter-all .count-figure').textContent();
        results.push(['devices counted on the page', shown ?? '?']);
      }
      results.push(['updates: main-thread time per second (all work)', ms(perUpdate)]);
      results.push(['updates: of which script (parse, apply, draw)', ms(scriptPerUpdate)]);
      results.push([
        'updates: frame interval p50 / p99 / max',
        `${ms(percentile(frames, 50))} / ${ms(percentile(frames, 99))} / ${ms(Math.max(...frames))}`,
      ]);
      results.push([
        'updates: frames over 50 ms',
        `${frames.filter((f) => f > 50).length} of ${frames.length}`,
      ]);

      await recordFrames(page);
      const scrollStart = await metrics(session);
      await page.evaluate(
        (selector: string) =>
          new Promise<void>((resolve) => {
            const scope = globalThis as unknown as FrameGlobal;
            const box = scope.document.querySelector(selector);
            const end = scope.performance.now() + 3000;
            const step = () => {
              if (!box || scope.performance.now() > end) return resolve();
              box.scrollTop += 240;
              scope.requestAnimationFrame(step);
            };
            scope.requestAnimationFrame(step);
          }),
        SCROLL_BOX,
      );
      const scrollFrames = await stopFrames(page);
      const scrollEnd = await metrics(session);
      results.push([
        'scroll (240 px a frame): frame interval p50 / p99 / max',
        `${ms(percentile(scrollFrames, 50))} / ${ms(percentile(scrollFrames, 99))} / ${ms(Math.max(...scrollFrames))}`,
      ]);
      results.push([
        'scroll: main-thread time per frame',
        ms(((scrollEnd.TaskDuration - scrollStart.TaskDuration) * 1000) / Math.max(1, scrollFrames.length)),
      ]);
      // Picking another device opens a new stream: its first fleet event is full again.
      await scrollFleetToTop(page);
      const target =
        (await page.locator(`${ROW}:not([hidden]) button`).nth(3).getAttribute('data-device-id')) ?? '';
      // Timed in the page, from the click to the frame that shows the device's own summary.
      const pickMs = await page.evaluate(
        (id: string) =>
          new Promise<number>((resolve) => {
            const scope = globalThis as unknown as FrameGlobal;
            const button = scope.document.querySelector(`button[data-device-id="${id}"]`) as unknown as {
              click(): void;
            };
            const started = scope.performance.now();
            button.click();
            const check = () => {
              const title = scope.document.querySelector('#device-title')?.textContent;
              const busy = scope.document.querySelector('#device-view[aria-busy="true"]');
              if (title === id && busy === null) resolve(scope.performance.now() - started);
              else scope.requestAnimationFrame(check);
            };
            scope.requestAnimationFrame(check);
          }),
        target,
      );
      results.push(['pick another device: click to its summary shown (new stream)', ms(pickMs)]);

      const rowsInDom = await page.locator(ROW).count();
      results.push(['DOM nodes before / after the updates', `${before.Nodes} / ${after.Nodes}`]);
      results.push(['list items in the DOM (after scrolling)', String(rowsInDom)]);
      results.push([
        'event listeners before / after',
        `${before.JSEventListeners} / ${after.JSEventListeners}`,
      ]);
      results.push([
        'JS heap used before / after (after a GC)',
        `${mib(before.JSHeapUsedSize)} / ${mib(after.JSHeapUsedSize)}`,
      ]);
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});

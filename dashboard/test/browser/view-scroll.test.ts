import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium } from './chromium.js';
import { FakeFleetServer, fakeRow } from './fake-fleet.js';

const scrollY = (page: Page) => page.evaluate<number>('window.scrollY');
/** Where the top of `selector` is, from the top of the window (negative: cut off above). */
const topOf = (page: Page, selector: string) =>
  page
    .locator(selector)
    .evaluate((element: { getBoundingClientRect(): { top: number } }) =>
      Math.round(element.getBoundingClientRect().top),
    );
/** Follows the tab's link as a keyboard or a script would, without Playwright scrolling to it first. */
const follow = (page: Page, tab: string) =>
  page.locator(`#${tab}`).evaluate((link: { click(): void }) => link.click());

// The page scrolls as a whole; its two views differ in height. Against the stand-in server.
describe.skipIf(!hasChromium)('each view keeps its own scroll position', () => {
  const server = new FakeFleetServer();
  const problems = new PageProblems();
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server.setRows(Array.from({ length: 30 }, (_, index) => fakeRow(index)));
    await server.start();
    browser = await launchChromium();
    page = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 600 } }));
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server.stop();
  });

  it('opens the overview at its top after scrolling down the device view, and gives the device view its place back', async () => {
    await page.goto(`${server.base}/#device=sim-00003`);
    await expect.poll(() => page.locator('#device-title').textContent()).toBe('sim-00003');
    await page.locator('#commands-panel').scrollIntoViewIfNeeded();
    const deviceY = await scrollY(page);
    expect(deviceY).toBeGreaterThan(300);

    await follow(page, 'tab-overview');
    await expect.poll(() => page.locator('#overview').isVisible()).toBe(true);
    expect(await scrollY(page)).toBe(0);
    expect(await topOf(page, '#overview')).toBeGreaterThan(0);

    await page.goBack();
    await expect.poll(() => page.locator('#device-view').isVisible()).toBe(true);
    expect(await page.locator('#device-title').textContent()).toBe('sim-00003');
    expect(await scrollY(page)).toBe(deviceY);

    // Another device picked in the overview opens at the top of the device view.
    await follow(page, 'tab-overview');
    await expect.poll(() => page.locator('#overview').isVisible()).toBe(true);
    expect(await scrollY(page)).toBe(0);
    await page.locator('li.overview-row button[data-device-id="sim-00005"]').click();
    await expect.poll(() => page.locator('#device-title').textContent()).toBe('sim-00005');
    expect(await scrollY(page)).toBe(0);
    expect(problems.seen).toEqual([]);
  });
});

import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';
import { FakeFleetServer, fakeRow } from './fake-fleet.js';
import { pageMetrics, scrollFleetTo, scrollWidth, shownRows } from './page-probes.js';
import { waitFor } from './services.js';

const FLEET = 10_000;
const rowsOf = (count: number) => Array.from({ length: count }, (_, index) => fakeRow(index));
const figure = (n: number) => n.toLocaleString('en-US');

// The page against a stand-in server that speaks the event stream's protocol: thousands of devices without
// a broker, and every event under the test's control.
describe.skipIf(!hasChromium)('the fleet list with 10,000 devices (page against a fake event stream)', () => {
  const server = new FakeFleetServer();
  const problems = new PageProblems();
  let browser: Browser;
  let page: Page;

  const text = (selector: string) => page.locator(selector).textContent();
  const count = (filter: string) => text(`#fleet-filter-${filter} .count-figure`);
  const row = (id: string) => page.locator(`button[data-device-id="${id}"]`);
  /** The ids of the rows drawn, in their order in the list (the pool's elements are in any order). */
  const shownIds = () => shownRows(page);
  const focusedId = () => page.locator(':focus').getAttribute('data-device-id');

  beforeAll(async () => {
    server.setRows(rowsOf(FLEET));
    await server.start();
    browser = await launchChromium();
    page = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 900 } }));
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server.stop();
  });

  it('shows the fleet counts at the top and draws only the rows in view, each with its place in the list', async () => {
    await page.goto(`${server.base}/`);
    const counts = server.counts();
    await expect.poll(() => count('all')).toBe(figure(FLEET));
    expect(await count('online')).toBe(figure(counts.online));
    expect(await count('offline')).toBe(figure(counts.offline));
    expect(await count('alerting')).toBe(figure(counts.alerting));
    // The first online device is shown, and the stream was opened again to watch it.
    await expect.poll(() => text('#device-title')).toBe('sim-00001');
    await expect.poll(() => server.open().map((stream) => stream.device)).toEqual(['sim-00001']);
    expect(new URL(page.url()).hash).toBe('#device=sim-00001');

    const items = await page.locator('li.fleet-row').count();
    expect(items, 'list items in the page').toBeLessThan(40);
    expect(await row('sim-00000').getAttribute('data-online')).toBe('false');
    const first = page.locator('li.fleet-row', { has: row('sim-00000') });
    expect(await first.getAttribute('aria-posinset')).toBe('1');
    expect(await first.getAttribute('aria-setsize')).toBe(String(FLEET));
    await expect.poll(() => row('sim-00001').getAttribute('aria-current')).toBe('true');

    await scrollFleetTo(page, 1e9);
    await expect.poll(shownIds).toContain('sim-09999');
    const last = page.locator('li.fleet-row', { has: row('sim-09999') });
    expect(await last.getAttribute('aria-posinset')).toBe(String(FLEET));
    expect(await page.locator('li.fleet-row').count()).toBeLessThan(40);
    await scrollFleetTo(page, 0);
    await expect.poll(shownIds).toContain('sim-00000');
  });

  it('finds devices by id, and filters by presence and alert with the counts', async () => {
    const search = page.getByLabel('Search devices by id');
    await search.fill('SIM-0004');
    await expect.poll(shownIds).toEqual(Array.from({ length: 10 }, (_, i) => `sim-0004${i}`));
    expect(await text('#fleet-summary')).toBe('10 devices match “sim-0004”');
    // Down goes into the list, on the first device found.
    await search.press('ArrowDown');
    expect(await focusedId()).toBe('sim-00040');
    await search.focus();
    await search.press('Escape');
    await expect.poll(shownIds).toContain('sim-00000');
    expect(await text('#fleet-summary')).toBe('');

    await page.locator('#fleet-filter-offline').click();
    expect(await page.locator('#fleet-filter-offline').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('#fleet-filter-all').getAttribute('aria-pressed')).toBe('false');
    await expect.poll(shownIds).toEqual(expect.arrayContaining(['sim-00000', 'sim-00010', 'sim-00020']));
    const online = await page
      .locator('li.fleet-row:not([hidden]) button')
      .evaluateAll((buttons: { dataset: { online?: string } }[]) => buttons.map((b) => b.dataset.online));
    expect(new Set(online)).toEqual(new Set(['false']));
    expect(await text('#fleet-summary')).toBe(`${figure(server.counts().offline)} offline devices`);

    await page.locator('#fleet-filter-alerting').click();
    await expect.poll(shownIds).toEqual(expect.arrayContaining(['sim-00000', 'sim-00097', 'sim-00194']));
    expect(await page.locator('li.fleet-row:not([hidden]) .chip-alert:visible').count()).toBe(
      (await shownIds()).length,
    );
    // Pressing the filter in use shows the whole fleet again.
    await page.locator('#fleet-filter-alerting').click();
    expect(await page.locator('#fleet-filter-all').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(shownIds).toContain('sim-00001');
  });

  it('applies the fleet events: changed rows, a device leaving a filter, one forgotten, and the counts', async () => {
    const alerting = server.counts().alerting;
    server.update([fakeRow(1, { temperature: 35.5, alerte: true, lost: 7 })]);
    await expect.poll(() => row('sim-00001').locator('.device-values').textContent()).toMatch(/^35\.5 °C/);
    expect(await row('sim-00001').locator('.chip-alert').isVisible()).toBe(true);
    expect(await row('sim-00001').locator('.device-lost').textContent()).toBe('7 lost');
    expect(await count('alerting')).toBe(figure(alerting + 1));

    await page.locator('#fleet-filter-online').click();
    await expect.poll(shownIds).toContain('sim-00002');
    server.update([fakeRow(2, { online: false })]);
    await expect.poll(shownIds).not.toContain('sim-00002');
    expect(await count('offline')).toBe(figure(server.counts().offline));
    await page.locator('#fleet-filter-all').click();
    expect(await row('sim-00002').getAttribute('data-online')).toBe('false');

    server.update([], ['sim-00003']);
    await expect.poll(shownIds).not.toContain('sim-00003');
    expect(await count('all')).toBe(figure(FLEET - 1));
  });

  it('refreshes the "last seen" of the rows in view every second, with no event', async () => {
    server.update([fakeRow(4, { last_seen: new Date(Date.now() - 58_000).toISOString() })]);
    await expect
      .poll(() => row('sim-00004').locator('.device-seen').textContent())
      .toMatch(/^Online · 5\d s ago$/);
    await expect
      .poll(() => row('sim-00004').locator('.device-seen').textContent(), { timeout: 5000 })
      .toBe('Online · 1 min ago');
  });

  it('moves through the list with the keyboard, and shows the device picked on a new stream', async () => {
    await page.getByLabel('Search devices by id').focus();
    await page.keyboard.press('Tab');
    // Tab reaches the list once, on the device shown.
    expect(await focusedId()).toBe('sim-00001');
    await page.keyboard.press('ArrowDown');
    expect(await focusedId()).toBe('sim-00002');
    await page.keyboard.press('ArrowDown');
    expect(await focusedId()).toBe('sim-00004'); // sim-00003 was forgotten
    await page.keyboard.press('End');
    expect(await focusedId()).toBe('sim-09999');
    await page.keyboard.press('ArrowUp');
    expect(await focusedId()).toBe('sim-09998');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('#device-title')).toBe('sim-09998');
    expect(new URL(page.url()).hash).toBe('#device=sim-09998');
    await expect.poll(() => server.open().map((stream) => stream.device)).toEqual(['sim-09998']);
    expect(await row('sim-09998').getAttribute('aria-current')).toBe('true');
    await page.keyboard.press('Home');
    expect(await focusedId()).toBe('sim-00000');
    expect(await page.locator('li.fleet-row').count()).toBeLessThan(40);

    // Enter in the search field shows the first device found.
    const search = page.getByLabel('Search devices by id');
    await search.fill('sim-0777');
    await search.press('Enter');
    await expect.poll(() => text('#device-title')).toBe('sim-07770');
    await search.press('Escape');
    await expect.poll(shownIds).toContain('sim-00000');
  });

  it('forgets the selected device after a confirmation, and shows another one', async () => {
    await row('sim-00005').click();
    await expect.poll(() => text('#device-title')).toBe('sim-00005');
    await page.getByRole('button', { name: 'Forget device…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Forget sim-00005?' });
    expect(await dialog.isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'fleet-forget.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await dialog.isVisible()).toBe(false);
    expect(server.deleted).toEqual([]);

    await page.getByRole('button', { name: 'Forget device…' }).click();
    await dialog.getByRole('button', { name: 'Forget device' }).click();
    await expect.poll(() => server.deleted).toEqual(['sim-00005']);
    await expect.poll(shownIds).not.toContain('sim-00005');
    await expect.poll(() => text('#device-title')).not.toBe('sim-00005');
    expect(await dialog.isVisible()).toBe(false);
    // The counts are drawn at the next frame after the fleet changed.
    await expect.poll(() => count('all')).toBe(figure(FLEET - 2));
  });

  it('shows the first online device when the URL names one the fleet does not have, or an invalid id', async () => {
    for (const hash of ['#device=no-such-device', '#device=bad%2Fid']) {
      const other = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 900 } }));
      try {
        await other.goto(`${server.base}/${hash}`);
        // sim-00000 is offline; sim-00001 is the first online one.
        await expect.poll(() => other.locator('#device-title').textContent()).toBe('sim-00001');
        expect(new URL(other.url()).hash).toBe('#device=sim-00001');
        // The device the URL named was never shown, offline or otherwise.
        expect(await other.locator('#device-title').textContent()).not.toMatch(/no-such|bad/);
      } finally {
        await other.close();
      }
    }
    // No stream was asked for the invalid id (the server would refuse it with 400).
    expect(server.streams.map((stream) => stream.device)).not.toContain('bad/id');
  });

  it('hides "Forget device" from a viewer, and shows the row of the device a link names', async () => {
    server.role = 'viewer';
    const viewer = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 900 } }));
    try {
      await viewer.goto(`${server.base}/#device=sim-05007`);
      await expect.poll(() => viewer.locator('#device-title').textContent()).toBe('sim-05007');
      expect(await viewer.locator('#forget-open').isHidden()).toBe(true);
      // The list was scrolled to the device the link named.
      await expect.poll(() => shownRows(viewer)).toContain('sim-05007');
      const [row, box] = await Promise.all([
        viewer.locator('button[data-device-id="sim-05007"]').boundingBox(),
        viewer.locator('#fleet-scroll').boundingBox(),
      ]);
      expect(row && box && row.y >= box.y && row.y + row.height <= box.y + box.height + 1).toBe(true);
    } finally {
      await viewer.close();
      server.role = 'admin';
    }
  });

  it('fits a 375 px phone screen, the list in a box of its own', async () => {
    const phone = problems.watch(
      await browser.newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true }),
    );
    try {
      await phone.goto(`${server.base}/#device=sim-00008`);
      await expect.poll(() => phone.locator('#device-title').textContent()).toBe('sim-00008');
      expect(await scrollWidth(phone)).toBeLessThanOrEqual(375);
      const box = await phone.locator('#fleet-scroll').boundingBox();
      expect(box?.height).toBeLessThanOrEqual(812 * 0.6 + 1);
      expect(await phone.locator('li.fleet-row').count()).toBeLessThan(40);
      await phone.screenshot({ path: join(SCREENSHOTS, 'fleet-phone.png') });
    } finally {
      await phone.close();
    }
  });

  it('keeps as many nodes and listeners with 10,000 devices as with 100', async () => {
    const measure = async (devices: number) => {
      server.setRows(rowsOf(devices));
      const fresh = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      try {
        await fresh.goto(`${server.base}/#device=sim-00001`);
        await waitFor(
          async () =>
            (await fresh.locator('#fleet-filter-all .count-figure').textContent()) === figure(devices),
          10_000,
          () => `The page never counted ${devices} devices.`,
        );
        await fresh.locator('#device-title').filter({ hasText: 'sim-00001' }).waitFor();
        return await pageMetrics(fresh);
      } finally {
        await fresh.close();
      }
    };
    const small = await measure(100);
    const large = await measure(FLEET);
    const [fewNodes, manyNodes] = [small.Nodes ?? Number.NaN, large.Nodes ?? Number.NaN];
    expect(Math.abs(manyNodes - fewNodes), `nodes: ${fewNodes} and ${manyNodes}`).toBeLessThan(30);
    expect(large.JSEventListeners, `listeners: ${small.JSEventListeners} and ${large.JSEventListeners}`).toBe(
      small.JSEventListeners,
    );
  });

  it('left no page error or console error', () => {
    expect(problems.seen).toEqual([]);
  });
});

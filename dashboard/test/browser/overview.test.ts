import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetRow } from '../../src/api-types.js';
import { PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';
import { FakeFleetServer, fakeRow } from './fake-fleet.js';
import { pageMetrics, scrollWidth } from './page-probes.js';

const FLEET = 10_000;
const rowsOf = (count: number) => Array.from({ length: count }, (_, index) => fakeRow(index));

interface OverviewItem {
  hidden: boolean;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): { dataset: { column?: string }; textContent: string | null }[];
  querySelector(selector: string): { dataset: { deviceId?: string } } | null;
}

/** The overview's rows drawn, in their order in the table: the device id and each cell's text by column. */
function overviewRows(page: Page): Promise<{ id: string; cells: Record<string, string> }[]> {
  return page.locator('li.overview-row').evaluateAll((items: OverviewItem[]) =>
    items
      .filter((item) => !item.hidden)
      .map((item) => ({
        at: Number(item.getAttribute('aria-posinset')),
        id: item.querySelector('button')?.dataset.deviceId ?? '',
        cells: Object.fromEntries(
          [...item.querySelectorAll('.ov-cell')].map((cell) => [cell.dataset.column, cell.textContent ?? '']),
        ),
      }))
      .sort((a, b) => a.at - b.at)
      .map(({ id, cells }) => ({ id, cells })),
  );
}

const ids = async (page: Page) => (await overviewRows(page)).map((row) => row.id);

/** The first `count` ids of `rows` by `key`, as the overview sorts them (ties in id order, nulls last). */
function expectedOrder(
  rows: FleetRow[],
  key: 'temperature' | 'batterie',
  descending: boolean,
  count: number,
) {
  return [...rows]
    .sort((a, b) => {
      const [x, y] = [a[key], b[key]];
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
      return (descending ? y - x : x - y) || a.device_id.localeCompare(b.device_id);
    })
    .slice(0, count)
    .map((row) => row.device_id);
}

// The overview against the stand-in server (thousands of devices, every event under the test's control).
describe.skipIf(!hasChromium)(
  'the fleet overview with 10,000 devices (page against a fake event stream)',
  () => {
    const server = new FakeFleetServer();
    const problems = new PageProblems();
    let browser: Browser;
    let page: Page;

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

    it('is reached by its tab, lists every device with its latest values, and draws only the rows in view', async () => {
      await page.goto(`${server.base}/`);
      await expect.poll(() => page.locator('#device-title').textContent()).toBe('sim-00001');
      expect(await page.locator('#overview').isHidden()).toBe(true);
      await page.getByRole('link', { name: 'Fleet overview' }).click();
      await expect.poll(() => page.locator('#overview').isVisible()).toBe(true);
      expect(new URL(page.url()).hash).toBe('#overview');
      expect(await page.getByRole('link', { name: 'Fleet overview' }).getAttribute('aria-current')).toBe(
        'page',
      );
      expect(await page.locator('#device-view').isHidden()).toBe(true);
      expect(await page.locator('#fleet-scroll').isHidden()).toBe(true);
      expect(await page.title()).toBe('Fleet overview · Sensor Fleet');

      await expect.poll(() => ids(page)).toContain('sim-00000');
      const rows = await overviewRows(page);
      expect(rows[0]?.id).toBe('sim-00000');
      // sim-00097: alerting; sim-00010: offline.
      const byId = new Map(rows.map((row) => [row.id, row.cells]));
      expect(byId.get('sim-00001')).toEqual({
        device_id: 'sim-00001',
        online: 'Online',
        alerte: '—',
        temperature: '20.1 °C',
        humidite: '41 %RH',
        pression: '1001 hPa',
        batterie: '99 %',
        last_seen: expect.stringMatching(/^(just now|\d+ s ago)$/),
      });
      expect(byId.get('sim-00010')?.online).toBe('Offline');
      expect(rows.length).toBeLessThan(60);
      const item = page.locator('li.overview-row', { has: page.locator('[data-device-id="sim-00000"]') });
      expect(await item.getAttribute('aria-setsize')).toBe(String(FLEET));
      expect(await scrollWidth(page)).toBeLessThanOrEqual(1280);
    });

    it('sorts by a column, both ways, keeps the sort in the URL and after a reload', async () => {
      const all = [...server.rows.values()];
      await page.getByRole('button', { name: 'Temperature' }).click();
      await expect
        .poll(() => page.locator('#overview-status').textContent())
        .toBe('Sorted by temperature, highest first');
      await expect
        .poll(async () => (await ids(page)).slice(0, 10))
        .toEqual(expectedOrder(all, 'temperature', true, 10));
      expect(new URL(page.url()).hash).toBe('#overview&sort=temperature-desc');
      await page.getByRole('button', { name: 'Temperature' }).click();
      await expect
        .poll(async () => (await ids(page)).slice(0, 10))
        .toEqual(expectedOrder(all, 'temperature', false, 10));
      await page.getByRole('button', { name: 'Battery' }).click();
      await expect
        .poll(async () => (await ids(page)).slice(0, 10))
        .toEqual(expectedOrder(all, 'batterie', false, 10));
      expect(new URL(page.url()).hash).toBe('#overview&sort=batterie-asc');

      await page.reload();
      await expect
        .poll(async () => (await ids(page)).slice(0, 10))
        .toEqual(expectedOrder(all, 'batterie', false, 10));
      expect(await page.locator('#overview').isVisible()).toBe(true);
      expect(await page.locator('#overview-status').textContent()).toBe('Sorted by battery, lowest first');
    });

    it('follows the fleet events in its sort: a changed row moves to its place', async () => {
      await page.getByRole('button', { name: 'Temperature' }).click();
      await expect.poll(() => new URL(page.url()).hash).toBe('#overview&sort=temperature-desc');
      server.update([fakeRow(4321, { temperature: 41.5, alerte: true })]);
      await expect.poll(async () => (await ids(page))[0]).toBe('sim-04321');
      const [first] = await overviewRows(page);
      expect(first?.cells.temperature).toBe('41.5 °C');
      expect(first?.cells.alerte).toBe('Alert');
    });

    it('is filtered by the fleet counts and the search beside it', async () => {
      await page.locator('#fleet-filter-alerting').click();
      await expect.poll(() => ids(page)).toContain('sim-04321');
      // The filtered rows are drawn at the next frame: sim-04321 was listed before the filter too.
      await expect
        .poll(async () => (await overviewRows(page)).every((row) => row.cells.alerte === 'Alert'))
        .toBe(true);
      const first = page.locator('li.overview-row', { has: page.locator('[data-device-id="sim-04321"]') });
      expect(await first.getAttribute('aria-setsize')).toBe(String(server.counts().alerting));
      await page.locator('#fleet-filter-alerting').click();

      const search = page.getByLabel('Search devices by id');
      await search.fill('sim-0123');
      await expect.poll(async () => (await ids(page)).length).toBe(10);
      const found = await ids(page);
      expect(found.every((id) => id.startsWith('sim-0123'))).toBe(true);
      // Sorted by temperature, highest first: the first found is sim-01239 (24.9 °C), which Enter opens.
      expect(found[0]).toBe('sim-01239');
      await search.press('Enter');
      await expect.poll(() => page.locator('#device-title').textContent()).toBe('sim-01239');
      await page.goBack();
      await expect.poll(() => page.locator('#overview').isVisible()).toBe(true);
      await search.fill('');
      await expect.poll(async () => (await ids(page)).length).toBeGreaterThan(10);
    });

    it('opens a device when its row is clicked; Back returns to the overview', async () => {
      await page.locator('li.overview-row button[data-device-id="sim-04321"]').click();
      await expect.poll(() => page.locator('#device-title').textContent()).toBe('sim-04321');
      expect(new URL(page.url()).hash).toBe('#device=sim-04321');
      expect(await page.locator('#overview').isHidden()).toBe(true);
      await expect.poll(() => server.open().map((stream) => stream.device)).toEqual(['sim-04321']);
      await page.goBack();
      await expect.poll(() => page.locator('#overview').isVisible()).toBe(true);
      expect(await page.locator('#device-view').isHidden()).toBe(true);
      // The device tab leads back to the device seen last.
      expect(await page.getByRole('link', { name: 'Device', exact: true }).getAttribute('href')).toBe(
        '#device=sim-04321',
      );
    });

    it('shows °F and inHg or mmHg when chosen, in the overview and the fleet list, per user, after a reload', async () => {
      await page.getByLabel('Temperature unit').selectOption('°F');
      await page.getByLabel('Pressure unit').selectOption('inHg');
      await expect.poll(async () => (await overviewRows(page))[0]?.cells.temperature).toBe('106.7 °F');
      const row = (await overviewRows(page)).find((entry) => entry.id === 'sim-04321');
      // fakeRow's pressure: 1000 + index % 30 hPa.
      expect(row?.cells.pression).toBe(`${((1000 + (4321 % 30)) * 0.029529983071445).toFixed(2)} inHg`);
      await page.getByRole('link', { name: 'Device', exact: true }).click();
      await expect
        .poll(() => page.locator('button[data-device-id="sim-04321"] .device-values').textContent())
        .toBe(
          `106.7 °F · ${40 + (4321 % 20)} % · ${((1000 + (4321 % 30)) * 0.029529983071445).toFixed(2)} inHg`,
        );
      await page.getByLabel('Pressure unit').selectOption('mmHg');
      await expect
        .poll(() => page.locator('button[data-device-id="sim-04321"] .device-values').textContent())
        .toMatch(/ · 751 mmHg$/);

      await page.reload();
      await expect.poll(() => page.locator('#device-title').textContent()).toBe('sim-04321');
      expect(await page.getByLabel('Temperature unit').inputValue()).toBe('°F');
      expect(await page.getByLabel('Pressure unit').inputValue()).toBe('mmHg');
      await expect
        .poll(() => page.locator('button[data-device-id="sim-04321"] .device-values').textContent())
        .toMatch(/^106\.7 °F · .* · 751 mmHg$/);

      // Another user of the same browser keeps the metric units.
      server.userName = 'someone-else';
      try {
        await page.reload();
        await expect
          .poll(() => page.locator('button[data-device-id="sim-04321"] .device-values').textContent())
          .toBe(`41.5 °C · ${40 + (4321 % 20)} % · ${1000 + (4321 % 30)} hPa`);
        expect(await page.getByLabel('Temperature unit').inputValue()).toBe('°C');
      } finally {
        server.userName = 'tester';
      }
    });

    it('keeps as many nodes and listeners with 10,000 devices as with 100, sorted by temperature', async () => {
      const measure = async (devices: number) => {
        server.setRows(rowsOf(devices));
        const fresh = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        try {
          await fresh.goto(`${server.base}/#overview&sort=temperature-desc`);
          await expect
            .poll(() => fresh.locator('li.overview-row', { has: fresh.locator('[data-device-id]') }).count())
            .toBeGreaterThan(10);
          return await pageMetrics(fresh);
        } finally {
          await fresh.close();
        }
      };
      const small = await measure(100);
      const large = await measure(FLEET);
      const [fewNodes, manyNodes] = [small.Nodes ?? Number.NaN, large.Nodes ?? Number.NaN];
      expect(Math.abs(manyNodes - fewNodes), `nodes: ${fewNodes} and ${manyNodes}`).toBeLessThan(30);
      expect(large.JSEventListeners).toBe(small.JSEventListeners);
    });

    it('fits a phone screen (the table scrolls sideways in its own box), and is pictured', async () => {
      server.setRows(rowsOf(FLEET));
      const phone = problems.watch(
        await browser.newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true }),
      );
      try {
        await phone.goto(`${server.base}/#overview`);
        await expect.poll(() => ids(phone)).toContain('sim-00000');
        expect(await scrollWidth(phone)).toBeLessThanOrEqual(375);
        await phone.screenshot({ path: join(SCREENSHOTS, 'overview-phone.png') });
      } finally {
        await phone.close();
      }
      const wide = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 800 } }));
      try {
        await wide.goto(`${server.base}/#overview&sort=alerte-desc`);
        await expect.poll(async () => (await ids(wide)).length).toBeGreaterThan(10);
        await wide.screenshot({ path: join(SCREENSHOTS, 'overview.png') });
      } finally {
        await wide.close();
      }
    });

    it('left no page error or console error', () => {
      expect(problems.seen).toEqual([]);
    });
  },
);

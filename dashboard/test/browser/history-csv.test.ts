import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildDashboard,
  type Dashboard,
  MqttBrokerConnection,
  newRecord,
  READING_CSV_COLUMNS,
  TelemetryStore,
} from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietLogger, stored, telemetry, tempDir } from '../server/fixtures.js';
import { PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';

const DEVICE = 'csv-1';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

// The real dashboard (storage, the CSV route, the page) on two days of readings, one a minute, without a broker.
describe.skipIf(!hasChromium)('history panel in Chromium: the Download CSV button', () => {
  const problems = new PageProblems();
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  let dashboard: Dashboard;
  let broker: MqttBrokerConnection;
  let browser: Browser;
  let page: Page;
  let base = '';
  const now = Date.now();
  const times: number[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    store = new TelemetryStore({ path: join(dir.path, 'dashboard.sqlite'), logger: quietLogger() });
    store.open();
    const first = Math.floor((now - 2 * DAY) / MINUTE) * MINUTE + MINUTE;
    const received = new Date(now).toISOString();
    store.transaction(() => {
      for (let at = first, seq = 0; at <= now; at += MINUTE, seq++) {
        times.push(at);
        store.writeReading(
          stored(telemetry({ device_id: DEVICE, seq, timestamp: new Date(at).toISOString() }), received),
        );
      }
    });
    store.saveDevices([{ ...newRecord(DEVICE, first), last_seen: now }]);
    store.rollUp(1_000_000);
    const topics = new Topics();
    broker = new MqttBrokerConnection({
      topics,
      transport: { host: '127.0.0.1', port: 1, protocol: 'mqtt' },
      clientId: 'history-csv-test',
      logger: quietLogger(),
    });
    dashboard = await buildDashboard({
      store,
      broker,
      topics,
      logger: quietLogger(),
      access: { auth: 'off', sessionHours: 12, allowedHosts: [], certNames: [], corsOrigins: [] },
    });
    base = await dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    page = problems.watch(
      await browser.newPage({ viewport: { width: 1280, height: 1100 }, acceptDownloads: true }),
    );
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await broker?.stop();
    store?.close();
    await dir?.remove();
  });

  it('downloads the 24 hours shown as CSV: every reading of the range, oldest first', async () => {
    await page.goto(`${base}/#device=${DEVICE}`);
    await expect.poll(() => page.locator('#device-title').textContent(), { timeout: 15_000 }).toBe(DEVICE);
    await page.getByRole('button', { name: 'Last 24 hours' }).click();
    await expect
      .poll(() => page.locator('#history-status').textContent(), { timeout: 15_000 })
      .toMatch(/readings in the last 24 hours$/);
    const button = page.getByRole('link', { name: 'Download CSV' });
    await expect.poll(() => button.isVisible()).toBe(true);
    await page.locator('.history').screenshot({ path: join(SCREENSHOTS, 'history-csv-button.png') });

    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const url = new URL(download.url());
    expect(url.pathname).toBe(`/api/devices/${DEVICE}/history.csv`);
    const from = Date.parse(url.searchParams.get('from') ?? '');
    const to = Date.parse(url.searchParams.get('to') ?? '');
    expect(to - from).toBe(DAY);
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^${DEVICE}-\\d{8}T\\d{6}Z-\\d{8}T\\d{6}Z\\.csv$`),
    );

    const text = await readFile(await download.path(), 'utf8');
    expect(text.slice(0, text.indexOf('\r\n'))).toBe(READING_CSV_COLUMNS.join(','));
    const rows: Array<Record<string, string>> = parse(text, { columns: true });
    const expected = times.filter((at) => at >= from && at <= to);
    expect(expected.length).toBeGreaterThanOrEqual(1439);
    expect(rows.map((row) => Date.parse(row.trusted_at ?? ''))).toEqual(expected);
    expect(problems.seen.filter((problem) => !/status of 503/.test(problem))).toEqual([]);
  });
});

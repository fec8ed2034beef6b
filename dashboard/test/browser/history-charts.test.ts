import { join } from 'node:path';
import {
  buildDashboard,
  type Dashboard,
  MqttBrokerConnection,
  newRecord,
  TelemetryStore,
} from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietLogger, stored, telemetry, tempDir } from '../server/fixtures.js';
import { PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';

const DEVICE = 'hist-1';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

interface ChartGlobal {
  Chart: {
    getChart(
      canvas: unknown,
    ): { data: { datasets: { data: { x: number; y: number; n?: number }[]; fill?: unknown }[] } } | undefined;
  };
}

/** The temperature chart's datasets as Chart.js holds them: the line (averages), and the band's edges. */
function readChart(page: Page) {
  return page.locator('canvas[data-metric="temperature"]').evaluate((canvas: unknown) => {
    const chart = (globalThis as unknown as ChartGlobal).Chart.getChart(canvas);
    const [line, , low, high] = chart?.data.datasets ?? [];
    const ys = (list?: { y: number }[]) => (list ?? []).map((point) => point.y);
    return {
      points: line?.data.length ?? 0,
      readings: (line?.data ?? []).reduce((sum, point) => sum + (point.n ?? 1), 0),
      lineMax: Math.max(...ys(line?.data)),
      bandMax: Math.max(...ys(high?.data)),
      bandMin: Math.min(...ys(low?.data)),
      bandPoints: high?.data.length ?? 0,
      lineFill: line?.fill,
    };
  });
}

/** The chart once drawn: the status is set at once, the chart at the next animation frame. */
async function drawnChart(page: Page) {
  // The test's types are Node's: the page's requestAnimationFrame is reached through globalThis.
  await page.evaluate(() => {
    const frame = (globalThis as unknown as { requestAnimationFrame(run: () => void): number })
      .requestAnimationFrame;
    return new Promise((resolve) => frame(() => frame(() => resolve(undefined))));
  });
  return readChart(page);
}

// The real dashboard (storage, rollups, history API, page) on a week of readings, without a broker.
describe.skipIf(!hasChromium)('history charts in Chromium: time buckets with a min–max band', () => {
  const problems = new PageProblems();
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  let dashboard: Dashboard;
  let broker: MqttBrokerConnection;
  let browser: Browser;
  let page: Page;
  let base = '';
  const now = Date.now();
  /** One reading a minute for a week, 21.5 °C, but 80 °C for one reading three days ago. */
  const spikeAt = Math.floor((now - 3 * DAY) / MINUTE) * MINUTE;

  beforeAll(async () => {
    dir = await tempDir();
    store = new TelemetryStore({ path: join(dir.path, 'dashboard.sqlite'), logger: quietLogger() });
    store.open();
    const first = Math.floor((now - 7 * DAY) / MINUTE) * MINUTE + MINUTE;
    const received = new Date(now).toISOString();
    store.transaction(() => {
      for (let at = first, seq = 0; at <= now; at += MINUTE, seq++) {
        const reading = telemetry({
          device_id: DEVICE,
          seq,
          timestamp: new Date(at).toISOString(),
          temperature: at === spikeAt ? 80 : 21.5,
        });
        store.writeReading(stored(reading, received));
      }
    });
    store.saveDevices([{ ...newRecord(DEVICE, first), last_seen: now }]);
    // What the service's rollup job does in the background (a query rolls up one step of 5000 itself).
    store.rollUp(1_000_000);
    const topics = new Topics();
    broker = new MqttBrokerConnection({
      topics,
      transport: { host: '127.0.0.1', port: 1, protocol: 'mqtt' },
      clientId: 'history-charts-test',
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
    page = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 1100 } }));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await broker?.stop();
    store?.close();
    await dir?.remove();
  });

  it('draws a week as 10-minute averages with a band whose top keeps a one-reading spike', async () => {
    await page.goto(`${base}/#device=${DEVICE}`);
    await expect.poll(() => page.locator('#device-title').textContent(), { timeout: 15_000 }).toBe(DEVICE);
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await expect
      .poll(() => page.locator('#history-status').getAttribute('data-bucket-ms'), { timeout: 15_000 })
      .toBe(String(10 * MINUTE));
    const chart = await drawnChart(page);
    expect(chart.points).toBeGreaterThan(1000);
    expect(chart.points).toBeLessThanOrEqual(1009);
    expect(chart.readings).toBe(7 * 24 * 60);
    expect(chart.bandPoints).toBe(chart.points);
    expect(chart.bandMax).toBe(80);
    expect(chart.bandMin).toBe(21.5);
    // The spike's bucket averages 10 readings: the line alone would show 27.35, not 80.
    expect(chart.lineMax).toBeCloseTo((9 * 21.5 + 80) / 10, 9);
    expect(chart.lineFill).toBe(false);
    expect(await page.locator('#history-status').textContent()).toMatch(
      /^10,080 readings in the last 7 days · 10-minute averages, the band from min to max$/,
    );
    await page.locator('#charts').screenshot({ path: join(SCREENSHOTS, 'history-week-buckets.png') });
  });

  it('draws the last hour from the readings themselves, without a band', async () => {
    await page.getByRole('button', { name: 'Last hour' }).click();
    await expect
      .poll(() => page.locator('#history-status').getAttribute('data-bucket-ms'), { timeout: 15_000 })
      .toBe('');
    const chart = await drawnChart(page);
    expect(chart.points).toBeGreaterThanOrEqual(59);
    expect(chart.points).toBeLessThanOrEqual(61);
    expect(chart.bandPoints).toBe(0);
    expect(chart.lineFill).toBe('start');
    // /healthz answers 503 here: there is no broker.
    expect(problems.seen.filter((problem) => !/status of 503/.test(problem))).toEqual([]);
  });
});

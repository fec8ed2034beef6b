import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';
import { readGauges, scrollToTop } from './page-probes.js';
import { waitFor } from './services.js';
import { FleetStack } from './stack.js';

const DEVICE_ID = 'units-test-01';
const fahrenheit = (celsius: number) => (celsius * 9) / 5 + 32;
const MMHG_PER_HPA = 0.75006168270417;

interface ChartGlobal {
  Chart: {
    getChart(canvas: unknown):
      | {
          data: { datasets: { data: { x: number; y: number }[] }[] };
          options: {
            plugins: {
              tooltip: { callbacks: { label(item: { raw: unknown; datasetIndex: number }): string } };
            };
          };
        }
      | undefined;
  };
}

/** The temperature chart's points (as drawn) and the tooltip line Chart.js would show for the last one. */
function temperatureChart(
  page: Page,
): Promise<{ ys: number[]; tooltip: string | null; unit: string | null }> {
  return page
    .locator('figure[data-metric="temperature"]')
    .evaluate((figure: { querySelector(selector: string): { textContent: string | null } | null }) => {
      const canvas = figure.querySelector('canvas');
      const chart = (globalThis as unknown as ChartGlobal).Chart.getChart(canvas);
      const points = chart?.data.datasets[0]?.data ?? [];
      const last = points[points.length - 1];
      const tooltip = last
        ? (chart?.options.plugins.tooltip.callbacks.label({ raw: last, datasetIndex: 0 }) ?? null)
        : null;
      return {
        ys: points.map((point) => point.y),
        tooltip,
        unit: figure.querySelector('.chart-unit')?.textContent ?? null,
      };
    });
}

// The units against the whole system: a real broker, dashboard and device, so that a threshold typed in °F is
// seen to arrive at the device in °C.
describe.skipIf(!hasChromium)('units on the page (real broker, device and server)', () => {
  const stack = new FleetStack(DEVICE_ID);
  const problems = new PageProblems();
  let browser: Browser;
  let page: Page;

  const text = (selector: string) => page.locator(selector).textContent();
  const settings = async () => (await stack.summary())?.settings;

  beforeAll(async () => {
    await stack.start();
    const launching = launchChromium();
    await stack.waitForDashboard();
    stack.device.start();
    await waitFor(
      async () => (await stack.summary())?.latest,
      20_000,
      stack.explain(`Device ${DEVICE_ID} sent no reading within 20 s.`),
    );
    browser = await launching;
    page = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 1000 } }));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  }, 30_000);

  it('shows the gauges, the chart and its tooltip in °F and mmHg once chosen (the data stays metric)', async () => {
    await page.goto(`${stack.base}/`);
    await expect.poll(() => text('#device-title'), { timeout: 10_000 }).toBe(DEVICE_ID);
    await expect
      .poll(async () => (await temperatureChart(page)).ys.length, { timeout: 10_000 })
      .toBeGreaterThan(1);
    const metric = await temperatureChart(page);
    expect(metric.unit).toBe('°C');
    expect(metric.tooltip).toMatch(/^Temperature: \d+\.\d °C$/);

    await page.getByLabel('Temperature unit').selectOption('°F');
    await page.getByLabel('Pressure unit').selectOption('mmHg');
    // Readings come every second: compare the gauge's text with its raw (metric) value at the same moment.
    await expect
      .poll(async () => {
        const { temperature, pression } = await readGauges(page);
        return [
          temperature?.text === fahrenheit(Number(temperature?.value)).toFixed(1),
          pression?.text === (Number(pression?.value) * MMHG_PER_HPA).toFixed(1),
        ];
      })
      .toEqual([true, true]);
    const units = await page.locator('.gauge .gauge-unit').allTextContents();
    expect(units).toEqual(['°F', '%RH', 'mmHg', '%']);

    const chart = await temperatureChart(page);
    expect(chart.unit).toBe('°F');
    // The synthetic sensor gives 17 to 27 °C (noise aside): 62.6 to 80.6 °F, all well above any °C value.
    expect(Math.min(...chart.ys)).toBeGreaterThan(fahrenheit(12));
    expect(Math.max(...chart.ys)).toBeLessThan(fahrenheit(32));
    expect(chart.tooltip).toMatch(/^Temperature: \d+\.\d °F$/);
    expect(await text('#gauge-temperature-title')).toBe('Temperature');
    await expect
      .poll(() => text('.gauge[data-metric="temperature"] .gauge-note'))
      .toBe('Alert above 113.0 °F');
  });

  it('shows the threshold in °F and sends what is typed in °C, which the device applies', async () => {
    const threshold = page.getByLabel('Alert threshold', { exact: true });
    await expect.poll(() => threshold.inputValue()).toBe('113');
    expect(await text('#ctl-threshold-hint')).toBe('Alert above this temperature, 59 to 113 °F');
    expect(await page.locator('#ctl-threshold').locator('xpath=..').locator('.unit').textContent()).toBe(
      '°F',
    );

    await threshold.fill('86');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await expect.poll(() => text('#ctl-outcome'), { timeout: 15_000 }).toMatch(/^Applied by the device/);
    expect((await settings())?.seuil_alerte).toBe(30);
    expect(await threshold.inputValue()).toBe('86');

    await threshold.fill('90');
    await threshold.press('Enter');
    await expect.poll(async () => (await settings())?.seuil_alerte, { timeout: 15_000 }).toBe(32.22);
    await expect.poll(() => threshold.inputValue()).toBe('90');
    await expect
      .poll(() => text('.gauge[data-metric="temperature"] .gauge-note'))
      .toBe('Alert above 90.0 °F');

    // Out of range in °F: refused on the page, in °F, and nothing sent.
    await threshold.fill('120');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    expect(await text('#ctl-threshold-error')).toBe('Enter a temperature from 59 to 113 °F.');
    expect((await settings())?.seuil_alerte).toBe(32.22);
    await page.getByRole('button', { name: 'Revert' }).click();
    expect(await threshold.inputValue()).toBe('90');
    await scrollToTop(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'units-fahrenheit.png'), fullPage: true });
  });

  it('keeps the choice after a reload, and shows °C again when chosen', async () => {
    await page.reload();
    await expect.poll(() => text('#device-title'), { timeout: 10_000 }).toBe(DEVICE_ID);
    expect(await page.getByLabel('Temperature unit').inputValue()).toBe('°F');
    expect(await page.getByLabel('Pressure unit').inputValue()).toBe('mmHg');
    await expect.poll(() => page.getByLabel('Alert threshold', { exact: true }).inputValue()).toBe('90');

    await page.getByLabel('Temperature unit').selectOption('°C');
    await expect.poll(() => page.getByLabel('Alert threshold', { exact: true }).inputValue()).toBe('32.22');
    await expect
      .poll(async () => {
        const { temperature } = await readGauges(page);
        return temperature?.text === Number(temperature?.value).toFixed(1);
      })
      .toBe(true);
    expect((await temperatureChart(page)).unit).toBe('°C');
  });

  it('left no page error or console error', () => {
    expect(problems.seen).toEqual([]);
  });
});

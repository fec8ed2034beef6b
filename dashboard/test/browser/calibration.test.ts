import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';
import { waitFor } from './services.js';
import { FleetStack } from './stack.js';

const DEVICE_ID = 'calibration-test-01';

// The calibration form against the whole system: a real broker, dashboard and device (this release reports its
// calibration), so that offsets typed in °F and inHg are seen to arrive at the device in °C and hPa.
describe.skipIf(!hasChromium)('calibration on the page (real broker, device and server)', () => {
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
      async () => (await stack.summary())?.settings?.altitude !== undefined,
      20_000,
      stack.explain(`Device ${DEVICE_ID} reported no calibration within 20 s.`),
    );
    browser = await launching;
    page = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 1000 } }));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  }, 30_000);

  it("shows the device's calibration and sends offsets typed in °F and inHg in °C and hPa", async () => {
    await page.goto(`${stack.base}/`);
    await expect.poll(() => text('#device-title'), { timeout: 10_000 }).toBe(DEVICE_ID);
    await expect.poll(() => page.locator('#calibration-form').isVisible()).toBe(true);
    expect(await page.getByLabel('Temperature offset').inputValue()).toBe('0');
    expect(await page.getByLabel('Altitude').inputValue()).toBe('0');
    expect(await text('.gauge[data-metric="pression"] .gauge-note')).toBe('At the sensor');

    await page.getByLabel('Temperature unit').selectOption('°F');
    await page.getByLabel('Pressure unit').selectOption('inHg');
    await expect
      .poll(() => text('#cal-temperature-hint'))
      .toBe('Added to what the sensor measures, -36 to 36 °F');
    expect(await text('#cal-pressure-hint')).toBe('Added to what the sensor measures, -1.48 to 1.48 inHg');
    expect(await page.locator('#cal-temperature').locator('xpath=..').locator('.unit').textContent()).toBe(
      '°F',
    );

    // An offset is a difference: 0.9 °F is 0.5 °C (×5/9, no 32); 0.3 inHg is 10.16 hPa.
    await page.getByLabel('Temperature offset').fill('0.9');
    await page.getByLabel('Pressure offset').fill('0.3');
    await page.getByLabel('Altitude').fill('250');
    await page.getByRole('button', { name: 'Apply calibration' }).click();
    await expect.poll(() => text('#cal-outcome'), { timeout: 15_000 }).toMatch(/^Applied by the device/);
    expect(await settings()).toMatchObject({
      correction_temperature: 0.5,
      correction_humidite: 0,
      correction_pression: 10.16,
      altitude: 250,
    });
    expect(await page.getByLabel('Temperature offset').inputValue()).toBe('0.9');
    // The command history names what was sent, as the wire carries it.
    await expect
      .poll(() => page.locator('#command-list li').first().textContent())
      .toContain('Temperature offset → 0.5 °C, Pressure offset → 10.16 hPa, Altitude → 250 m');
    await expect
      .poll(() => text('.gauge[data-metric="pression"] .gauge-note'))
      .toBe('At sea level (from 250 m)');

    // Out of range: refused on the page in the user's unit, nothing sent.
    await page.getByLabel('Temperature offset').fill('40');
    await page.getByRole('button', { name: 'Apply calibration' }).click();
    expect(await text('#cal-temperature-error')).toBe('Enter a number from -36 to 36 °F.');
    expect(await text('#cal-outcome')).toBe('Not sent: correct the highlighted field.');
    expect((await settings())?.correction_temperature).toBe(0.5);
    await page.locator('#calibration-form').screenshot({ path: join(SCREENSHOTS, 'calibration.png') });

    // Back in °C: the device's values as they are.
    await page.getByLabel('Temperature unit').selectOption('°C');
    await expect.poll(() => page.getByLabel('Temperature offset').inputValue()).toBe('0.5');
    await page.getByLabel('Altitude').fill('0');
    await page.getByRole('button', { name: 'Apply calibration' }).click();
    await expect.poll(async () => (await settings())?.altitude, { timeout: 15_000 }).toBe(0);
    await expect.poll(() => text('.gauge[data-metric="pression"] .gauge-note')).toBe('At the sensor');
    expect(problems.seen).toEqual([]);
  });
});

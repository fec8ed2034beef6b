import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataResponse } from '../../src/api-types.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';
import { focusState, readGauges, readTemperatureChart, scrollToTop, scrollWidth } from './page-probes.js';
import { waitFor } from './services.js';
import { FleetStack } from './stack.js';

const DEVICE_ID = 'browser-test-01';

describe.skipIf(!hasChromium)('dashboard page in Chromium (real broker, device and server)', () => {
  const stack = new FleetStack(DEVICE_ID);
  let browser: Browser;
  let page: Page;
  /** What the server's Content-Security-Policy refused (an inline style or script): nothing, ever. */
  const cspRefusals: string[] = [];

  const summary = () => stack.summary();
  const explain = (what: string) => stack.explain(what);
  const text = (selector: string) => page.locator(selector).textContent();
  const attribute = (selector: string, name: string) => page.locator(selector).getAttribute(name);
  const visible = (selector: string) => page.locator(selector).isVisible();
  const outcome = () => text('#ctl-outcome');

  beforeAll(async () => {
    await stack.start();
    const launching = launchChromium();
    await stack.waitForDashboard();
    browser = await launching;
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => console.error(`Page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspRefusals.push(message.text());
    });
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  }, 30_000);

  it('waits for devices, then shows the first one live without a reload and remembers it in the URL', async () => {
    await page.goto(`${stack.base}/`);
    await expect.poll(() => text('#empty-title')).toBe('Waiting for devices…');
    expect(await text('#empty-hint')).toMatch(/MQTT/);
    await expect.poll(() => attribute('#connection', 'data-state')).toBe('live');

    stack.device.start();
    await waitFor(
      async () => (await summary())?.latest,
      20_000,
      explain(`Device ${DEVICE_ID} sent no reading within 20 s.`),
    );
    await expect.poll(() => text('#device-title'), { timeout: 10_000 }).toBe(DEVICE_ID);
    expect(await visible('#empty-state')).toBe(false);
    expect(new URL(page.url()).hash).toBe(`#device=${DEVICE_ID}`);
    await expect.poll(() => attribute(`[data-device-id="${DEVICE_ID}"]`, 'data-online')).toBe('true');
    expect(await text('#device-presence')).toBe('Online');
  });

  it('shows gauges with the values of the latest reading in /api/data, and the sensor health', async () => {
    // Readings arrive every second: compare when the page and the API show the same one.
    const { reading, shown } = await waitFor(
      async () => {
        const { latest } = await stack.getJson<DataResponse>(`/api/data?device=${DEVICE_ID}&limit=1`);
        const reading = latest[DEVICE_ID];
        const shown = await readGauges(page);
        return reading && shown.temperature?.value === String(reading.temperature)
          ? { reading, shown }
          : undefined;
      },
      10_000,
      explain('The temperature gauge never showed the latest temperature of /api/data.'),
    );
    expect(shown.temperature?.text).toBe(reading.temperature.toFixed(1));
    expect(shown.pression).toEqual({ value: String(reading.pression), text: reading.pression.toFixed(1) });
    expect(shown.batterie).toEqual({ value: String(reading.batterie), text: reading.batterie.toFixed(0) });
    expect(reading.humidite).not.toBeNull();
    expect(shown.humidite).toEqual({ value: String(reading.humidite), text: reading.humidite?.toFixed(1) });
    await expect.poll(() => text('#sensor-health-text')).toBe('Synthetic sensor · healthy');
  });

  it('draws the history on a time-axis chart and extends it live', async () => {
    await expect
      .poll(async () => (await readTemperatureChart(page)).count, { timeout: 10_000 })
      .toBeGreaterThan(1);
    const before = await readTemperatureChart(page);
    expect(before.axis).toBe('time');
    await expect
      .poll(async () => (await readTemperatureChart(page)).lastX, { timeout: 10_000 })
      .toBeGreaterThan(before.lastX);
    await page.getByRole('button', { name: 'Last 24 hours' }).click();
    expect(await attribute('[data-range="day"]', 'aria-pressed')).toBe('true');
    await expect
      .poll(async () => (await readTemperatureChart(page)).count, { timeout: 10_000 })
      .toBeGreaterThan(1);
    await page.getByRole('button', { name: 'Last hour' }).click();
  });

  it('labels every control and reaches each of them with Tab, with a visible focus ring', async () => {
    const controls: Record<string, string> = {
      Mode: 'ctl-mode',
      Interval: 'ctl-interval',
      'Alert threshold': 'ctl-threshold',
      Active: 'ctl-active',
      'Firmware version': 'ota-version',
    };
    for (const [label, id] of Object.entries(controls)) {
      const control = page.getByLabel(label, { exact: true });
      expect(await control.getAttribute('id'), `the control labelled "${label}"`).toBe(id);
      expect(await control.isVisible()).toBe(true);
    }
    await page.locator('body').focus();
    const reached = new Set<string>();
    let ringMissing: string | null = null;
    for (let i = 0; i < 60 && reached.size < Object.keys(controls).length + 1; i++) {
      await page.keyboard.press('Tab');
      const { id, ring } = await focusState(page);
      if (id && (Object.values(controls).includes(id) || id === 'ctl-apply')) {
        reached.add(id);
        if (!ring) ringMissing = id;
      }
    }
    expect([...reached].sort()).toEqual([...Object.values(controls), 'ctl-apply'].sort());
    expect(ringMissing, 'an element reached by Tab without a visible focus ring').toBeNull();
  });

  it('sends a new interval with the keyboard; the outcome says applied and the device uses it', async () => {
    const interval = page.getByLabel('Interval', { exact: true });
    await interval.fill('2');
    await interval.press('Enter');
    await expect.poll(outcome, { timeout: 15_000 }).toMatch(/^Applied by the device/);
    expect(await attribute('#ctl-outcome', 'data-state')).toBe('ok');
    expect((await summary())?.settings?.intervalle).toBe(2);
    await expect.poll(() => text('#fact-interval')).toBe('2 s');
  });

  it('refuses an interval out of range on the page, naming what is accepted', async () => {
    const interval = page.getByLabel('Interval', { exact: true });
    await interval.fill('90');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    expect(await text('#ctl-interval-error')).toMatch(/from 1 to 60/);
    expect(await interval.getAttribute('aria-invalid')).toBe('true');
    expect(await attribute('#ctl-outcome', 'data-state')).toBe('error');
    expect((await summary())?.settings?.intervalle).toBe(2);
    await page.getByRole('button', { name: 'Revert' }).click();
    expect(await interval.inputValue()).toBe('2');
  });

  it('shows the alert (banner and gauge colour) while the threshold is below the temperature', async () => {
    const temperature = (await summary())?.latest?.temperature ?? 0;
    expect(temperature, 'the synthetic temperature at the local noon of the device').toBeGreaterThan(16);
    expect(await visible('#alert-banner')).toBe(false);

    const threshold = page.getByLabel('Alert threshold', { exact: true });
    await threshold.fill('15');
    await threshold.press('Enter');
    await expect.poll(outcome, { timeout: 15_000 }).toMatch(/^Applied by the device/);
    await expect.poll(() => visible('#alert-banner'), { timeout: 10_000 }).toBe(true);
    expect(await text('#alert-text')).toMatch(/is above the 15\.0 °C threshold/);
    expect(await attribute('.gauge[data-metric="temperature"]', 'data-state')).toBe('alert');
    expect(await visible(`[data-device-id="${DEVICE_ID}"] .chip-alert`)).toBe(true);
    await scrollToTop(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'desktop-alert.png') });

    await threshold.fill('45');
    await threshold.press('Enter');
    await expect.poll(outcome, { timeout: 15_000 }).toMatch(/^Applied by the device/);
    await expect.poll(() => visible('#alert-banner'), { timeout: 10_000 }).toBe(false);
    expect(await attribute('.gauge[data-metric="temperature"]', 'data-state')).toBe('normal');
    await scrollToTop(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'desktop.png'), fullPage: true });
  });

  /** Starts an update from the page and records every state the panel shows until it ends. */
  async function runUpdate(version: string): Promise<{ states: string[]; maxProgress: number }> {
    await page.getByLabel('Firmware version', { exact: true }).fill(version);
    await page.getByRole('button', { name: 'Start update' }).click();
    const states: string[] = [];
    let maxProgress = 0;
    const ended = (state: string) => state === 'succeeded' || state === 'failed';
    await waitFor(
      async () => {
        const state = (await attribute('#ota-panel', 'data-state')) ?? '';
        if (states[states.length - 1] !== state) states.push(state);
        if (state === 'downloading') {
          maxProgress = Math.max(maxProgress, Number(await attribute('#ota-bar', 'aria-valuenow')));
        }
        // The panel may still show how the previous update ended: this one has ended once it ran.
        const ran = states.some((seen) => !ended(seen) && seen !== 'idle');
        return ran && ended(state);
      },
      25_000,
      explain(
        `The update to ${version} did not run to its end on the page within 25 s (states: ${states.join(', ')}).`,
      ),
    );
    return { states, maxProgress };
  }

  it('runs an OTA update to its end: progress through the states, then succeeded and the new version', async () => {
    const { states, maxProgress } = await runUpdate('v1.1.0');
    expect(states).toContain('downloading');
    expect(
      states.filter((state) => ['verifying', 'installing', 'rebooting'].includes(state)).length,
    ).toBeGreaterThan(0);
    expect(states[states.length - 1]).toBe('succeeded');
    expect(maxProgress).toBeGreaterThan(0);
    expect(await text('#ota-result-title')).toBe('Updated to v1.1.0');
    expect(await text('#ota-result-detail')).toBe('It was running v1.0.0.');
    await expect.poll(() => text('#ota-current')).toBe('v1.1.0');
    await expect.poll(() => text('#fact-firmware')).toBe('v1.1.0');
  }, 40_000);

  it('shows a "-fail" update as failed with the rollback reason, still on the previous version', async () => {
    const { states } = await runUpdate('v1.2.0-fail');
    expect(states[states.length - 1]).toBe('failed');
    const reason = (await summary())?.ota?.error;
    expect(reason).toBeTruthy();
    expect(await text('#ota-result-title')).toBe('Update to v1.2.0-fail failed');
    expect(await text('#ota-result-detail')).toBe(reason);
    expect(await text('#ota-current')).toBe('v1.1.0');
  }, 40_000);

  it('fits a 375 px phone screen in one column without horizontal scroll', async () => {
    const phone = await browser.newPage({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
    });
    try {
      await phone.goto(`${stack.base}/#device=${DEVICE_ID}`);
      await expect
        .poll(() => phone.locator('#device-title').textContent(), { timeout: 10_000 })
        .toBe(DEVICE_ID);
      await expect
        .poll(async () => (await readTemperatureChart(phone)).count, { timeout: 10_000 })
        .toBeGreaterThan(0);
      expect(await scrollWidth(phone)).toBeLessThanOrEqual(375);
      const fleet = await phone.locator('.fleet').boundingBox();
      const main = await phone.locator('#main').boundingBox();
      expect(fleet && main && main.y >= fleet.y + fleet.height).toBe(true);
      await phone.screenshot({ path: join(SCREENSHOTS, 'phone.png') });
      await phone.screenshot({ path: join(SCREENSHOTS, 'phone-full.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  }, 30_000);

  it('shows the device offline within seconds after its process is killed', async () => {
    await stack.device.stop('SIGKILL');
    await expect.poll(() => text('#device-presence'), { timeout: 10_000 }).toBe('Offline');
    expect(await visible('#offline-banner')).toBe(true);
    expect(await attribute(`[data-device-id="${DEVICE_ID}"]`, 'data-online')).toBe('false');
    expect(await page.getByRole('button', { name: 'Apply changes' }).isDisabled()).toBe(true);
    await scrollToTop(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'desktop-offline.png') });
  });

  it('says so when the dashboard server loses the MQTT broker', async () => {
    await stack.broker.stop();
    await expect.poll(() => visible('#broker-banner'), { timeout: 12_000 }).toBe(true);
    expect(await attribute('#connection', 'data-state')).toBe('broker-down');
    expect(await text('#connection-label')).toBe('Broker offline');
    await scrollToTop(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'desktop-broker-down.png') });
  }, 20_000);

  it('breaks no rule of the Content-Security-Policy (no inline script or style)', () => {
    expect(cspRefusals).toEqual([]);
  });

  it('says so when the live connection to the dashboard server is lost', async () => {
    await stack.dashboard.stop();
    await expect.poll(() => attribute('#connection', 'data-state'), { timeout: 10_000 }).toBe('reconnecting');
    await expect.poll(() => visible('#connection-banner'), { timeout: 10_000 }).toBe(true);
  });
});

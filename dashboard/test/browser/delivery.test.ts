import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryFigures, DeviceSummary, DevicesResponse } from '../../src/api-types.js';
import { PageProblems } from './access-helpers.js';
import { hasChromium, SCREENSHOTS } from './chromium.js';
import { readTemperatureChart, scrollToTop, scrollWidth, textColour } from './page-probes.js';
import { ScriptedDevice } from './scripted-device.js';
import { startScriptedStack, stopScriptedStack } from './scripted-stack.js';
import { waitFor } from './services.js';
import { FleetStack } from './stack.js';

const EDGE_ID = 'delivery-edge-01';
const LOSSY_ID = 'lossy-01';
const LEGACY_ID = 'legacy-01';
/** The colour of a loss (the stylesheet's --warn). */
const WARN = 'rgb(251, 191, 36)';

// Three devices on one real broker and dashboard: the real edge firmware, a device of contract 2 played
// by the test that skips seq numbers (real gaps) with its clock a year behind after an unclean stop, and
// a device of contract 1 (no epoch: its seq may have gaps, and none counts as lost).
describe.skipIf(!hasChromium)(
  'readings received and lost on the page (real broker, devices and server)',
  () => {
    const stack = new FleetStack(EDGE_ID);
    const problems = new PageProblems();
    let browser: Browser;
    let page: Page;
    let publisher: MqttClient;
    let lossy: ScriptedDevice;
    let legacy: ScriptedDevice;

    const text = (selector: string) => page.locator(selector).textContent();
    const visible = (selector: string) => page.locator(selector).isVisible();
    const row = (deviceId: string) => `[data-device-id="${deviceId}"]`;
    const colourOf = (selector: string) => textColour(page, selector);

    async function summaries(): Promise<Map<string, DeviceSummary>> {
      const { devices } = await stack.getJson<DevicesResponse>('/api/devices');
      return new Map(devices.map((device) => [device.device_id, device]));
    }

    /** Waits until the server reports `expected` for the device. */
    async function serverFigures(deviceId: string, expected: DeliveryFigures): Promise<DeviceSummary> {
      let last: DeliveryFigures | undefined;
      return waitFor(
        async () => {
          const summary = (await summaries()).get(deviceId);
          last = summary?.delivery;
          return summary && JSON.stringify(last) === JSON.stringify(expected) ? summary : undefined;
        },
        20_000,
        stack.explain(
          `GET /api/devices never reported ${JSON.stringify(expected)} for ${deviceId} (last: ${JSON.stringify(last)}).`,
        ),
      );
    }

    beforeAll(async () => {
      ({ browser, publisher } = await startScriptedStack(stack, 'delivery-test'));
      page = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 900 } }));
      page.on('console', (message) => {
        if (/Content.Security.Policy/i.test(message.text())) problems.seen.push(message.text());
      });
      lossy = new ScriptedDevice(publisher, LOSSY_ID, {
        contract: 2,
        epoch: 'e7f3a9c1',
        epochReason: 'unclean_stop',
        clockSynced: false,
      });
      legacy = new ScriptedDevice(publisher, LEGACY_ID, { contract: 1 });
    }, 45_000);

    afterAll(() => stopScriptedStack(stack, { browser, publisher }), 30_000);

    it('shows, in the fleet list, the figures the server reports for each device', async () => {
      await page.goto(`${stack.base}/`);
      stack.device.start();
      await lossy.connect();
      // seq 3, 4 and 7 never arrive: three readings lost within the epoch.
      await lossy.publishReadings([0, 1, 2, 5, 6, 8, 9]);
      await legacy.connect();
      await legacy.publishReadings([0, 5, 9]);

      const lossyFigures = { received: 7, lost: 3, conflicts: 0 };
      const legacyFigures = { received: 3, lost: 0, conflicts: 0 };
      await serverFigures(LOSSY_ID, lossyFigures);
      await serverFigures(LEGACY_ID, legacyFigures);
      // The list shows a loss (in amber) and nothing for none; the device's panel shows all its figures.
      await expect.poll(() => text(`${row(LOSSY_ID)} .device-lost`), { timeout: 10_000 }).toBe('3 lost');
      await expect.poll(() => colourOf(`${row(LOSSY_ID)} .device-lost`), { timeout: 10_000 }).toBe(WARN);
      expect(await page.locator(`${row(LOSSY_ID)} .device-lost`).getAttribute('title')).toMatch(
        /never reached the dashboard/,
      );
      await expect.poll(() => text(`${row(LEGACY_ID)} .device-values`), { timeout: 10_000 }).toMatch(/°C/);
      expect(await visible(`${row(LEGACY_ID)} .device-lost`)).toBe(false);

      // The real edge: healthy, it loses nothing, and its row says no loss.
      const edge = await waitFor(
        async () => {
          const summary = (await summaries()).get(EDGE_ID);
          return summary?.latest ? summary : undefined;
        },
        20_000,
        stack.explain(`${EDGE_ID} sent no reading within 20 s.`),
      );
      expect(edge.delivery.lost, 'a healthy edge loses nothing').toBe(0);
      await expect.poll(() => text(`${row(EDGE_ID)} .device-values`), { timeout: 10_000 }).toMatch(/°C/);
      expect(await visible(`${row(EDGE_ID)} .device-lost`)).toBe(false);
      await expect.poll(() => text('#fleet-filter-all .count-figure'), { timeout: 10_000 }).toBe('3');
      expect(await text('#fleet-filter-online .count-figure')).toBe('3');
    });

    it("shows the selected device's figures, what lost means, its clock not set and its new count", async () => {
      await page.locator(row(LOSSY_ID)).click();
      await expect.poll(() => text('#device-title'), { timeout: 10_000 }).toBe(LOSSY_ID);
      await expect.poll(() => text('#fact-delivery')).toBe('7 received · 3 lost');
      await expect.poll(() => colourOf('#fact-delivery .delivery-lost'), { timeout: 10_000 }).toBe(WARN);
      expect(await visible('#note-lost')).toBe(true);
      expect(await text('#note-lost-text')).toBe(
        '3 readings the device took never reached the dashboard (found as gaps in the numbers it gives its readings).',
      );
      expect(await visible('#note-conflicts')).toBe(false);
      expect(await visible('#note-clock')).toBe(true);
      expect(await text('#note-clock')).toMatch(/Clock not set.*times are when the dashboard received/);
      expect(await visible('#note-epoch')).toBe(true);
      expect(await text('#note-epoch-text')).toBe(
        'Restarted after an unclean stop (a power cut or a crash): the device began a new count of its readings.',
      );
      await scrollToTop(page);
      await page.screenshot({ path: join(SCREENSHOTS, 'delivery-desktop.png') });
    });

    it('files the readings of a device whose clock is a year behind at the time they were received', async () => {
      const latest = (await summaries()).get(LOSSY_ID)?.latest;
      expect(latest, 'the latest reading of the device').toBeTruthy();
      if (!latest) return;
      const yearBehind = Date.now() - Date.parse(latest.timestamp);
      expect(yearBehind, "the device's own clock").toBeGreaterThan(300 * 86_400_000);
      expect(Math.abs(Date.now() - Date.parse(latest.trusted_at))).toBeLessThan(5 * 60_000);
      await expect
        .poll(async () => (await readTemperatureChart(page)).lastX, { timeout: 10_000 })
        .toBe(Date.parse(latest.trusted_at));
      expect((await readTemperatureChart(page)).count).toBe(7);
      expect(await text('#fact-latest')).toMatch(/^(just now|\d+ s ago|\d+ min ago)$/);
      expect(await page.locator('#fact-latest').getAttribute('title')).toMatch(/The device's clock said/);
    });

    it('updates the figures live when a new gap appears', async () => {
      // seq 11 does not arrive (yet).
      await lossy.publishReadings([10, 12, 13]);
      await serverFigures(LOSSY_ID, { received: 10, lost: 4, conflicts: 0 });
      await expect.poll(() => text('#fact-delivery'), { timeout: 10_000 }).toBe('10 received · 4 lost');
      await expect.poll(() => text(`${row(LOSSY_ID)} .device-lost`), { timeout: 5000 }).toBe('4 lost');
      expect(await text('#note-lost-text')).toMatch(/^4 readings the device took/);
    });

    it('shows a conflict live when a reading comes again with other values', async () => {
      await lossy.publishReadings([12], { temperature: 35.5 });
      await serverFigures(LOSSY_ID, { received: 10, lost: 4, conflicts: 1 });
      await expect
        .poll(() => text('#fact-delivery'), { timeout: 10_000 })
        .toBe('10 received · 4 lost · 1 conflict');
      expect(await visible('#note-conflicts')).toBe(true);
      expect(await text('#note-conflicts-text')).toBe(
        '1 conflict: a reading sent again under the same number with other values; the first one received is kept.',
      );
    });

    it('drops the clock note once the clock is set, and charts a late reading at its own time, visibly', async () => {
      await lossy.clockSet();
      await expect.poll(() => visible('#note-clock'), { timeout: 10_000 }).toBe(false);

      // The missing seq 11 arrives late (from the device's outbox), taken 10 minutes ago by a clock now set:
      // one loss fewer, and the chart draws it at its own time, among the others.
      const takenAt = Date.now() - 10 * 60_000;
      const before = await readTemperatureChart(page);
      await lossy.publishReadings([11], { timestamp: new Date(takenAt).toISOString() });
      await serverFigures(LOSSY_ID, { received: 11, lost: 3, conflicts: 1 });
      await expect
        .poll(() => text('#fact-delivery'), { timeout: 10_000 })
        .toBe('11 received · 3 lost · 1 conflict');
      await expect
        .poll(async () => (await readTemperatureChart(page)).count, { timeout: 10_000 })
        .toBe(before.count + 1);
      const after = await readTemperatureChart(page);
      expect(after.xs).toContain(takenAt);
      expect(after.xs).toEqual([...after.xs].sort((a, b) => a - b));
      expect(after.lastX).toBe(before.lastX);
      // Ten minutes from any other reading, no line reaches it: it is drawn as a dot.
      await expect
        .poll(async () => (await readTemperatureChart(page)).lone, { timeout: 10_000 })
        .toContain(takenAt);
      await page.locator('.history').screenshot({ path: join(SCREENSHOTS, 'delivery-history.png') });
    });

    it('shows no loss and no note for a device of contract 1', async () => {
      await page.locator(row(LEGACY_ID)).click();
      await expect.poll(() => text('#device-title'), { timeout: 10_000 }).toBe(LEGACY_ID);
      // Its figures come with its summary, on the stream opened for it (its row is shown until then).
      await expect.poll(() => text('#fact-delivery')).toBe('3 received · 0 lost');
      expect(await visible('#device-notes')).toBe(false);
    });

    it('fits a 375 px phone screen, figures and notes included', async () => {
      const phone = problems.watch(
        await browser.newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true }),
      );
      try {
        await lossy.publishReadings([14]);
        await phone.goto(`${stack.base}/#device=${LOSSY_ID}`);
        await expect
          .poll(() => phone.locator('#fact-delivery').textContent(), { timeout: 10_000 })
          .toBe('12 received · 3 lost · 1 conflict');
        expect(await phone.locator(`${row(LOSSY_ID)} .device-lost`).textContent()).toBe('3 lost');
        expect(await scrollWidth(phone)).toBeLessThanOrEqual(375);
        await phone.screenshot({ path: join(SCREENSHOTS, 'delivery-phone.png') });
        await phone.screenshot({ path: join(SCREENSHOTS, 'delivery-phone-full.png'), fullPage: true });
      } finally {
        await phone.close();
      }
    }, 30_000);

    it('forgets a device from the page: the server no longer lists it, the list and its counts drop it', async () => {
      await page.locator(row(LEGACY_ID)).click();
      await expect.poll(() => text('#device-title'), { timeout: 10_000 }).toBe(LEGACY_ID);
      await page.getByRole('button', { name: 'Forget device…' }).click();
      await page
        .getByRole('dialog', { name: `Forget ${LEGACY_ID}?` })
        .getByRole('button', { name: 'Forget device' })
        .click();
      await expect.poll(async () => (await summaries()).has(LEGACY_ID), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => page.locator(row(LEGACY_ID)).count(), { timeout: 10_000 }).toBe(0);
      await expect.poll(() => text('#device-title'), { timeout: 10_000 }).not.toBe(LEGACY_ID);
      await expect.poll(() => text('#fleet-filter-all .count-figure'), { timeout: 10_000 }).toBe('2');
      // Its retained status, still held by the broker, does not bring it back on a new stream.
      await page.reload();
      await expect.poll(() => text('#fleet-filter-all .count-figure'), { timeout: 10_000 }).toBe('2');
      expect(await page.locator(row(LEGACY_ID)).count()).toBe(0);
    });

    it('left no page error, console error or Content-Security-Policy refusal', () => {
      expect(problems.seen).toEqual([]);
    });
  },
);

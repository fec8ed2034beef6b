import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageProblems } from './access-helpers.js';
import { hasChromium } from './chromium.js';
import { readTemperatureChart } from './page-probes.js';
import { ScriptedDevice } from './scripted-device.js';
import { receivedReadings, startScriptedStack, stopScriptedStack } from './scripted-stack.js';
import { FleetStack } from './stack.js';

const DEVICE_ID = 'clock-01';
const BEHIND_MS = 10 * 60_000;

/** Sets the page's clock `shift` ms off (Date.now and new Date() alike), before any of its scripts runs. */
function shiftedClock(shift: number): void {
  const Real = Date;
  class Shifted extends Real {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(Real.now() + shift);
      else super(...(args as [string]));
    }
    static override now(): number {
      return Real.now() + shift;
    }
  }
  globalThis.Date = Shifted as DateConstructor;
}

// Readings are filed by the server's clock. A browser whose clock is 10 minutes behind asked for the hour
// that ended 10 minutes ago, and drew the live readings past the right edge of its charts.
describe.skipIf(!hasChromium)('a browser whose clock is 10 minutes behind the server', () => {
  const stack = new FleetStack('clock-edge-01');
  const problems = new PageProblems();
  let browser: Browser;
  let page: Page;
  let publisher: MqttClient;

  beforeAll(async () => {
    ({ browser, publisher } = await startScriptedStack(stack, 'page-clock-test'));
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(shiftedClock, -BEHIND_MS);
    page = problems.watch(await context.newPage());
  }, 45_000);

  afterAll(() => stopScriptedStack(stack, { browser, publisher }), 30_000);

  it("charts the device's last readings, the live ones inside the chart, and says when it was last seen", async () => {
    const device = new ScriptedDevice(publisher, DEVICE_ID, { contract: 2, epoch: 'c1d2e3f4' });
    await device.connect();
    await device.publishReadings([0, 1, 2]);
    await receivedReadings(stack, DEVICE_ID, 3);
    await page.goto(`${stack.base}/#device=${DEVICE_ID}`);
    expect(await page.evaluate(() => Date.now()), 'the page clock, behind').toBeLessThan(
      Date.now() - BEHIND_MS + 60_000,
    );

    await expect
      .poll(() => page.locator('#history-status').textContent())
      .toMatch(/^3 readings in the last hour/);
    await device.publishReadings([3]);
    await expect.poll(async () => (await readTemperatureChart(page)).count).toBe(4);
    const chart = await readTemperatureChart(page);
    expect(chart.xMax, "the chart's right edge: the server's time now").toBeGreaterThanOrEqual(chart.lastX);
    expect(chart.xMax).toBeGreaterThan(Date.now() - 60_000);
    expect(chart.xMin).toBeLessThanOrEqual(Math.min(...chart.xs));
    await expect.poll(() => page.locator('#fact-last-seen').textContent()).toMatch(/just now|\d+ s ago/);
    expect(problems.seen).toEqual([]);
  });
});

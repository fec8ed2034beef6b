import type { MqttClient } from 'mqtt';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageProblems } from './access-helpers.js';
import { hasChromium } from './chromium.js';
import { readTemperatureChart } from './page-probes.js';
import { ScriptedDevice } from './scripted-device.js';
import { receivedReadings, startScriptedStack, stopScriptedStack } from './scripted-stack.js';
import { FleetStack } from './stack.js';

const DEVICE_ID = 'gap-01';
const OTHER_ID = 'gap-02';
/** The page's event streams for one device. */
const DEVICE_STREAMS = '**/api/events?device=*';

/** Holds the page's requests for a device's stream until `release()`; `requested`: their URLs so far. */
async function holdDeviceStreams(page: Page): Promise<{ requested: string[]; release: () => void }> {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const requested: string[] = [];
  await page.route(DEVICE_STREAMS, async (route: Route) => {
    requested.push(route.request().url());
    await held;
    await route.continue();
  });
  return { requested, release };
}

// The server sends a device's readings only on the streams that watch it. When the page picks a device, it
// reads the history and opens a stream for the device at once; a reading stored after the history was read
// and before that stream was open reached the page by neither. The stream's opening is held here (the
// browser's request waits) while a reading is stored, or a command sent, so that the gap is there every time.
describe.skipIf(!hasChromium)('what is stored while the stream for the device shown opens', () => {
  const stack = new FleetStack('gap-edge-01');
  const problems = new PageProblems();
  let browser: Browser;
  let page: Page;
  let publisher: MqttClient;
  let device: ScriptedDevice;

  const received = (count: number) => receivedReadings(stack, DEVICE_ID, count);

  beforeAll(async () => {
    ({ browser, publisher } = await startScriptedStack(stack, 'live-gap-test'));
    page = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 900 } }));
    device = new ScriptedDevice(publisher, DEVICE_ID, { contract: 2, epoch: 'a1b2c3d4' });
  }, 45_000);

  afterAll(() => stopScriptedStack(stack, { browser, publisher }), 30_000);

  it('is on the chart once the stream is open', async () => {
    await device.connect();
    await device.publishReadings([0, 1, 2]);
    await received(3);
    await page.goto(`${stack.base}/`);

    // The stream for the device is held until the reading below is stored.
    const { requested, release } = await holdDeviceStreams(page);
    await page.locator(`[data-device-id="${DEVICE_ID}"]`).click();
    await expect
      .poll(() => page.locator('#history-status').textContent(), { timeout: 10_000 })
      .toMatch(/^3 readings in the last hour/);
    await expect.poll(() => requested.length, { timeout: 10_000 }).toBe(1);

    await device.publishReadings([3]);
    await received(4);
    expect((await readTemperatureChart(page)).count, 'the stored reading, not shown yet').toBe(3);

    release();
    await expect.poll(async () => (await readTemperatureChart(page)).count, { timeout: 10_000 }).toBe(4);
    await expect
      .poll(() => page.locator('#history-status').textContent(), { timeout: 10_000 })
      .toMatch(/^4 readings in the last hour/);
    await page.unroute(DEVICE_STREAMS);
    // And the stream brings what comes next.
    await device.publishReadings([4]);
    await expect.poll(async () => (await readTemperatureChart(page)).count, { timeout: 10_000 }).toBe(5);
    expect(problems.seen).toEqual([]);
  });

  it("lists a command sent while the stream opens once it is open (the device's commands are read again)", async () => {
    const other = new ScriptedDevice(publisher, OTHER_ID, { contract: 2, epoch: 'e5f6a7b8' });
    await other.connect();
    await expect.poll(() => page.locator(`[data-device-id="${OTHER_ID}"]`).count()).toBe(1);

    const { requested, release } = await holdDeviceStreams(page);
    await page.locator(`[data-device-id="${OTHER_ID}"]`).click();
    await expect.poll(() => requested.length, { timeout: 10_000 }).toBe(1);
    // The commands read at selection: none yet.
    await expect.poll(() => page.locator('#commands-empty').isVisible()).toBe(true);

    // Sent by someone else (the API, not this page) while the page's stream is held.
    const sent = await fetch(`${stack.base}/api/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_id: OTHER_ID, intervalle: 7, command_id: 'gap-command-1' }),
    });
    expect(sent.status).toBe(200);
    const trail = await stack.getJson<{ commands: Array<{ command_id: string }> }>(
      `/api/devices/${OTHER_ID}/commands`,
    );
    expect(trail.commands.map((entry) => entry.command_id)).toEqual(['gap-command-1']);
    expect(await page.locator('#command-list li').count(), 'the command, not listed yet').toBe(0);

    release();
    await expect.poll(() => page.locator('#command-list li').count(), { timeout: 10_000 }).toBe(1);
    await expect
      .poll(() => page.locator('#command-list li').first().getAttribute('data-command-id'))
      .toBe('gap-command-1');
    expect(await page.locator('#commands-empty').isVisible()).toBe(false);
    await page.unroute(DEVICE_STREAMS);
    expect(problems.seen).toEqual([]);
  });
});

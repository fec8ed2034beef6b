import { join } from 'node:path';
import { buildDashboard, type Dashboard, MqttBrokerConnection, TelemetryStore } from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../alerts/receiver.js';
import { onlineStatus, quietLogger, telemetry, tempDir } from '../server/fixtures.js';
import { PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';

// The real dashboard and its compiled page (logins off: the page's user is an admin); readings go through the
// real ingest, notifications to a local HTTP receiver.
describe.skipIf(!hasChromium)('alerts panel and dialog in Chromium', () => {
  const problems = new PageProblems();
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  let dashboard: Dashboard;
  let broker: MqttBrokerConnection;
  let receiver: Receiver;
  let browser: Browser;
  let page: Page;
  let base = '';
  let seq = 0;

  const deliver = (topic: string, payload: unknown) =>
    dashboard.ingest.handle({ topic, payload: Buffer.from(JSON.stringify(payload)), retain: false });
  const reading = (deviceId: string, temperature: number) =>
    deliver(
      `devices/${deviceId}/data`,
      telemetry({ device_id: deviceId, seq: seq++, temperature, timestamp: new Date().toISOString() }),
    );

  beforeAll(async () => {
    dir = await tempDir();
    receiver = new Receiver();
    await receiver.start();
    store = new TelemetryStore({ path: join(dir.path, 'dashboard.sqlite'), logger: quietLogger() });
    store.open();
    const topics = new Topics();
    broker = new MqttBrokerConnection({
      topics,
      transport: { host: '127.0.0.1', port: 1, protocol: 'mqtt' },
      clientId: 'alerts-panel-test',
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
    await deliver('devices/greenhouse-1/status', onlineStatus('greenhouse-1', { seuil_alerte: 30 }));
    await reading('greenhouse-1', 1.2); // frost
    await reading('greenhouse-2', 33); // contract 1 reading without status: no seuil known, its alerte is off
    await deliver('devices/greenhouse-3/status', onlineStatus('greenhouse-3', { seuil_alerte: 28 }));
    await reading('greenhouse-3', 31); // above its threshold
    await reading('greenhouse-3', 26); // resolved
    browser = await launchChromium();
    page = problems.watch(await browser.newPage({ viewport: { width: 1280, height: 1000 } }));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await broker?.stop();
    store?.close();
    await receiver?.stop();
    await dir?.remove();
  });

  it('lists the open alert first and the resolved one after it', async () => {
    await page.goto(`${base}/#device=greenhouse-1`);
    const items = page.locator('#alerts-list .alert-item');
    await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(2);
    expect(await page.locator('#alerts-count').textContent()).toBe('1');
    expect(await items.nth(0).getAttribute('data-state')).toBe('open');
    expect(await items.nth(0).textContent()).toMatch(/^OpenFrost on greenhouse-1: 1.2°C \(limit 2°C\)since /);
    expect(await items.nth(1).getAttribute('data-state')).toBe('resolved');
    expect(await items.nth(1).textContent()).toMatch(
      /Temperature high on greenhouse-3: 31°C \(limit 28°C\)resolved /,
    );
    await page.locator('#alerts-panel').screenshot({ path: join(SCREENSHOTS, 'alerts-panel.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'alerts-page.png') });
    // In the user's units: a temperature in °F (the API's stay °C).
    await page.locator('#unit-temperature').selectOption('°F');
    await expect
      .poll(() => items.nth(0).textContent())
      .toMatch(/^OpenFrost on greenhouse-1: 34.2°F \(limit 35.6°F\)since /);
    await page.locator('#unit-temperature').selectOption('°C');
    await expect.poll(() => items.nth(0).textContent()).toMatch(/1.2°C \(limit 2°C\)/);
  });

  it('lets the admin change a rule, set a webhook and send a test, showing each channel result', async () => {
    await page.getByRole('button', { name: 'Rules and channels' }).click();
    const dialog = page.locator('#alerts-dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await expect.poll(() => page.locator('#alert-frost-below').inputValue()).toBe('2');
    await page.locator('#alert-frost-below').fill('3');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect.poll(() => page.locator('#alert-rules-status').textContent()).toBe('Rules saved.');
    expect(
      (await dashboard.app.inject({ method: 'GET', url: '/api/alerts/rules' })).json().defaults.frost.below,
    ).toBe(3);

    await page.locator('#channel-webhook-url').fill(`${receiver.base}/hook?key=s3cret`);
    await page.locator('#channel-slack-url').fill(`${receiver.base}/down`);
    receiver.statusFor.set('/down', 500);
    await page.getByRole('button', { name: 'Send test' }).click();
    const results = page.locator('#alert-test-results li');
    await expect.poll(() => results.count(), { timeout: 10_000 }).toBe(2);
    expect(await results.nth(0).textContent()).toBe('Webhook: sent (HTTP 200)');
    expect(await results.nth(1).textContent()).toMatch(
      /^Slack \/ Discord: failed — the service answered HTTP 500/,
    );
    expect(receiver.to('/hook')).toHaveLength(1);
    expect(JSON.parse(receiver.to('/hook')[0]?.body ?? '').event).toBe('test');
    // The secret came back masked.
    expect(await page.locator('#channel-webhook-url').inputValue()).toBe(`${receiver.base}/••••`);
    await dialog.screenshot({ path: join(SCREENSHOTS, 'alerts-dialog.png') });

    // A bad value: the server's sentence is shown, and nothing is changed.
    await page.locator('#alert-offline-minutes').fill('0');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect
      .poll(() => page.locator('#alert-rules-status').textContent())
      .toBe('Field "offline.minutes" received 0; accepted: a whole number from 1 to 10080.');
    expect(problems.seen.filter((problem) => !/status of (400|503)/.test(problem))).toEqual([]);
  });

  it("shows the rules in the user's unit and sets, marks and resets a device's own rules", async () => {
    const rulesNow = async () =>
      (await dashboard.app.inject({ method: 'GET', url: '/api/alerts/rules' })).json();
    await page.getByRole('button', { name: 'Close alert rules and channels' }).click();
    await page.locator('#unit-temperature').selectOption('°F');
    await page.getByRole('button', { name: 'Rules and channels' }).click();
    // The fleet's frost limit is 3 °C since the test before: 37.4 °F, its hysteresis 0.5 °C a difference of 0.9 °F.
    await expect.poll(() => page.locator('#alert-frost-below').inputValue()).toBe('37.4');
    expect(await page.locator('#alert-frost-hysteresis').inputValue()).toBe('0.9');
    expect(await page.locator('label', { has: page.locator('#alert-frost-below') }).textContent()).toBe(
      'Below (°F)',
    );
    expect(await page.locator('#alert-battery-below').inputValue()).toBe('15');

    // The device shown is offered; what differs from the defaults is saved as its own, in °C.
    await page.locator('#alert-rules-scope').selectOption('greenhouse-1');
    await page.locator('#alert-frost-below').fill('41');
    await page.locator('#alert-frost-hysteresis').fill('1.8');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect
      .poll(() => page.locator('#alert-rules-status').textContent())
      .toBe('Rules of greenhouse-1 saved; its own: Frost.');
    const saved = await rulesNow();
    expect(saved.devices).toEqual({ 'greenhouse-1': { frost: { below: 5, hysteresis: 1 } } });
    expect(saved.defaults.frost).toEqual({ enabled: true, below: 3, hysteresis: 0.5 });
    const own = page.locator('label[data-own="true"]');
    expect(await own.allTextContents()).toEqual([
      'Below (°F) · this device',
      'Hysteresis (°F) · this device',
    ]);
    expect(await page.locator('#alert-frost-below').inputValue()).toBe('41');
    expect(await page.locator('#alert-rules-scope option:checked').textContent()).toBe(
      'greenhouse-1 (own rules)',
    );
    await page.locator('#alerts-dialog').screenshot({ path: join(SCREENSHOTS, 'alerts-device-rules.png') });

    await page.getByRole('button', { name: 'Reset to fleet defaults' }).click();
    await expect
      .poll(() => page.locator('#alert-rules-status').textContent())
      .toBe('greenhouse-1 follows the fleet defaults.');
    expect((await rulesNow()).devices).toEqual({});
    expect(await page.locator('#alert-frost-below').inputValue()).toBe('37.4');
    expect(await own.count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reset to fleet defaults' }).isHidden()).toBe(true);

    // The fleet's defaults saved untouched in °F come back as they were (no rounding trip).
    await page.locator('#alert-rules-scope').selectOption('');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expect.poll(() => page.locator('#alert-rules-status').textContent()).toBe('Rules saved.');
    expect((await rulesNow()).defaults.frost).toEqual({ enabled: true, below: 3, hysteresis: 0.5 });
    await page.getByRole('button', { name: 'Close alert rules and channels' }).click();
    await page.locator('#unit-temperature').selectOption('°C');
    expect(problems.seen.filter((problem) => !/status of (400|503)/.test(problem))).toEqual([]);
  });
});

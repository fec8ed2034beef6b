import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevicesResponse, MeResponse } from '../../src/api-types.js';
import {
  ApiSession,
  logIn,
  openPage,
  PageProblems,
  sessionCookieOf,
  statusOf,
  UsersOnDisk,
} from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';
import { focusState, readNewestCommand, scrollToTop, scrollWidth } from './page-probes.js';
import { waitFor } from './services.js';
import { FleetStack } from './stack.js';

const DEVICE_ID = 'access-test-01';
const ADMIN = { name: 'admin', password: 'admin password 1' };
const OPERATOR = { name: 'olivia', password: 'operator password 1' };
const VIEWER = { name: 'victor', password: 'viewer password 1' };
const WRONG_PASSWORD = 'The user name or the password is not right.';
const READ_ONLY = 'Read-only: your role is viewer. Sending commands needs the operator or admin role.';

describe.skipIf(!hasChromium)('the page behind a login (AUTH=on, real broker, device and server)', () => {
  const stack = new FleetStack(DEVICE_ID, {
    dashboardEnv: {
      AUTH: 'on',
      DASHBOARD_ADMIN_USER: ADMIN.name,
      DASHBOARD_ADMIN_PASSWORD: ADMIN.password,
    },
  });
  const problems = new PageProblems();
  let browser: Browser;
  let users: UsersOnDisk;
  let admin: ApiSession;
  let operatorPage: Page;

  const open = (viewport?: { width: number; height: number }, phone = false) =>
    openPage(browser, problems, `${stack.base}/`, viewport, phone);
  const text = (page: Page, selector: string) => page.locator(selector).textContent();
  const visible = (page: Page, selector: string) => page.locator(selector).isVisible();
  const newestCommand = (page: Page) => readNewestCommand(page);

  /** Logs in as `who` in a new browser context and waits for the device on the dashboard. */
  async function dashboardAs(
    who: { name: string; password: string },
    viewport?: { width: number; height: number },
    phone = false,
  ) {
    const opened = await open(viewport, phone);
    await logIn(opened.page, who.name, who.password);
    await expect.poll(() => text(opened.page, '#device-title'), { timeout: 15_000 }).toBe(DEVICE_ID);
    return opened;
  }

  beforeAll(async () => {
    await stack.start();
    const launching = launchChromium();
    await stack.waitForDashboard();
    browser = await launching;
    users = new UsersOnDisk(stack.dashboardDataDir);
    await users.add(OPERATOR.name, 'operator', OPERATOR.password);
    await users.add(VIEWER.name, 'viewer', VIEWER.password);
    admin = await ApiSession.login(stack.base, ADMIN.name, ADMIN.password);
    stack.device.start();
    await waitFor(
      async () => {
        const { devices } = await admin.getJson<DevicesResponse>('/api/devices');
        return devices.find((device) => device.device_id === DEVICE_ID && device.online && device.settings);
      },
      20_000,
      stack.explain(`Device ${DEVICE_ID} did not report its settings within 20 s.`),
    );
  }, 60_000);

  afterAll(async () => {
    users?.close();
    await browser?.close();
    await stack.stop();
  }, 30_000);

  it("shows the login screen without a session; a wrong password shows the server's sentence, the right one opens the dashboard without a reload", async () => {
    const { page } = await open();
    operatorPage = page;
    await expect.poll(() => visible(page, '#login-screen')).toBe(true);
    expect(await visible(page, '#app-view')).toBe(false);
    expect(await visible(page, '#account')).toBe(false);
    await page.evaluate(() => {
      (globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true;
    });

    await logIn(page, OPERATOR.name, 'not the password');
    await expect.poll(() => text(page, '#login-error')).toBe(WRONG_PASSWORD);
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await scrollToTop(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'login-desktop.png') });

    await logIn(page, OPERATOR.name, OPERATOR.password);
    await expect.poll(() => text(page, '#device-title'), { timeout: 15_000 }).toBe(DEVICE_ID);
    expect(await visible(page, '#login-screen')).toBe(false);
    expect(await text(page, '#account-name')).toBe(OPERATOR.name);
    expect(await text(page, '#account-role')).toBe('Operator');
    expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(
      true,
    );
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    expect((await focusState(page)).id, 'focus after the login').toBe('main');
    expect(await visible(page, '#tokens-open')).toBe(false);
    await expect.poll(() => visible(page, '#commands-empty')).toBe(true);
    expect(await text(page, '#commands-empty')).toBe('No commands sent to this device yet');
  }, 30_000);

  it('shows the login screen on a phone in one column', async () => {
    const { context, page } = await open({ width: 375, height: 812 }, true);
    await expect.poll(() => visible(page, '#login-screen')).toBe(true);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(SCREENSHOTS, 'login-phone.png') });
    await context.close();
  });

  it('an operator changes the interval and sees it applied; the history names them and says applied', async () => {
    const page = operatorPage;
    const interval = page.getByLabel('Interval', { exact: true });
    await interval.fill('3');
    await interval.press('Enter');
    await expect
      .poll(() => text(page, '#ctl-outcome'), { timeout: 15_000 })
      .toMatch(/^Applied by the device/);
    await expect
      .poll(() => newestCommand(page), { timeout: 10_000 })
      .toMatchObject({ what: 'Interval → 3 s', by: OPERATOR.name, outcome: 'Applied' });
    expect((await newestCommand(page)).when).toMatch(/^Sent /);
    expect(await visible(page, '#commands-empty')).toBe(false);

    await page.getByRole('button', { name: 'Read now' }).click();
    await expect
      .poll(() => text(page, '#ctl-outcome'), { timeout: 15_000 })
      .toMatch(/^Reading requested by the device/);
    await expect
      .poll(() => newestCommand(page), { timeout: 10_000 })
      .toMatchObject({ what: 'Read now', by: OPERATOR.name, outcome: 'Applied' });
    expect(await page.locator('.command').count()).toBe(2);
  }, 30_000);

  it('a viewer sees the settings and the firmware update read-only, with the reason in words', async () => {
    const { context, page } = await dashboardAs(VIEWER);
    expect(await text(page, '#account-role')).toBe('Viewer');
    await expect.poll(() => page.getByLabel('Interval', { exact: true }).isDisabled()).toBe(true);
    for (const label of ['Mode', 'Alert threshold', 'Active', 'Temperature offset', 'Altitude']) {
      expect(await page.getByLabel(label, { exact: true }).isDisabled(), label).toBe(true);
    }
    for (const name of ['Apply changes', 'Apply calibration']) {
      expect(await page.getByRole('button', { name }).isDisabled(), name).toBe(true);
    }
    expect(await page.getByRole('button', { name: 'Read now' }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Firmware version', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Start update' }).isDisabled()).toBe(true);
    expect(await visible(page, '#controls-readonly')).toBe(true);
    expect(await text(page, '#controls-readonly')).toContain(READ_ONLY);
    expect(await text(page, '#ota-readonly')).toContain('Read-only: your role is viewer.');
    // The trail is the same for every role: the viewer sees the operator's command.
    await expect.poll(() => newestCommand(page)).toMatchObject({ what: 'Read now', by: OPERATOR.name });

    await scrollToTop(page);
    await page.screenshot({ path: join(SCREENSHOTS, 'viewer-desktop.png'), fullPage: true });
    await page.locator('#commands-panel').screenshot({ path: join(SCREENSHOTS, 'history-desktop.png') });
    await context.close();

    const phone = await dashboardAs(VIEWER, { width: 375, height: 812 }, true);
    await expect.poll(() => phone.page.getByLabel('Interval', { exact: true }).isDisabled()).toBe(true);
    expect(await scrollWidth(phone.page)).toBeLessThanOrEqual(375);
    await phone.page.locator('#controls-form').scrollIntoViewIfNeeded();
    await phone.page.screenshot({ path: join(SCREENSHOTS, 'viewer-phone.png') });
    await phone.page.locator('#commands-panel').scrollIntoViewIfNeeded();
    await phone.page.screenshot({ path: join(SCREENSHOTS, 'history-phone.png') });
    await phone.context.close();
  }, 60_000);

  it('a role taken away meanwhile: the 403 sentence is the outcome, and the controls turn read-only', async () => {
    const page = operatorPage;
    users.users.setRole(OPERATOR.name, 'viewer');
    try {
      await page.getByRole('button', { name: 'Read now' }).click();
      await expect
        .poll(() => text(page, '#ctl-outcome'), { timeout: 10_000 })
        .toBe(
          'Not sent: Your role is viewer; sending commands and firmware updates needs the operator or admin role.',
        );
      await expect.poll(() => text(page, '#account-role')).toBe('Viewer');
      await expect.poll(() => page.getByLabel('Interval', { exact: true }).isDisabled()).toBe(true);
      expect(await text(page, '#controls-readonly')).toContain(READ_ONLY);
    } finally {
      users.users.setRole(OPERATOR.name, 'operator');
    }
  }, 30_000);

  it('logging out ends the session: the login screen, no event stream, and the old cookie gets 401', async () => {
    const { context, page } = await dashboardAs(OPERATOR);
    const cookie = await sessionCookieOf(context);
    expect(await statusOf(stack.base, '/api/me', { cookie })).toBe(200);
    // The streams asked for from the click on: the page may still be opening the device's when it shows it.
    await expect.poll(() => page.locator('#connection').getAttribute('data-state')).toBe('live');
    const streams: string[] = [];
    let clicked = false;
    page.on('request', (request) => {
      if (clicked && new URL(request.url()).pathname === '/api/events') streams.push(request.url());
    });
    clicked = true;
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => visible(page, '#login-screen')).toBe(true);
    expect(await text(page, '#login-notice')).toBe('You are logged out.');
    expect(await visible(page, '#app-view')).toBe(false);
    expect(await statusOf(stack.base, '/api/me', { cookie })).toBe(401);
    // The stream's retry is 3 s: nothing may open one once logged out.
    await page.waitForTimeout(4000);
    expect(streams).toEqual([]);
    await context.close();
  }, 30_000);

  it('a logout in another tab returns this one to the login screen', async () => {
    const { context, page } = await dashboardAs(OPERATOR);
    const other = problems.watch(await context.newPage());
    await other.goto(`${stack.base}/`);
    await expect.poll(() => text(other, '#account-name'), { timeout: 10_000 }).toBe(OPERATOR.name);
    await other.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => visible(page, '#login-screen'), { timeout: 10_000 }).toBe(true);
    expect(await text(page, '#login-notice')).toMatch(/session has ended/);
    await context.close();
  }, 30_000);

  it('a user removed while the page is open: the event stream ends and the page returns to the login screen', async () => {
    await users.add('rita', 'viewer', 'rita password 1');
    const { context, page } = await dashboardAs({ name: 'rita', password: 'rita password 1' });
    users.users.remove('rita');
    // The server checks the streams' logins at every heartbeat (15 s).
    await expect.poll(() => visible(page, '#login-screen'), { timeout: 25_000 }).toBe(true);
    expect(await text(page, '#login-notice')).toMatch(/session has ended/);
    await context.close();
  }, 40_000);

  it('first login with a generated password asks for a new one before anything else', async () => {
    const generated = 'generated-Xy7-secret';
    await users.add('nina', 'operator', generated, true);
    const { context, page } = await open();
    await logIn(page, 'nina', generated);
    await expect.poll(() => visible(page, '#password-screen')).toBe(true);
    expect(await visible(page, '#app-view')).toBe(false);
    expect(await text(page, '#password-user')).toBe('nina');

    await page.getByLabel('Current password', { exact: true }).fill(generated);
    await page.getByLabel('New password', { exact: true }).fill('too short');
    await page.getByLabel('New password again', { exact: true }).fill('too short');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await text(page, '#pw-new-error')).toMatch(/10 to 200 characters/);
    expect(await page.getByLabel('Current password', { exact: true }).inputValue()).toBe('');

    await page.getByLabel('Current password', { exact: true }).fill(generated);
    await page.getByLabel('New password', { exact: true }).fill('nina chose this one');
    await page.getByLabel('New password again', { exact: true }).fill('nina chose this one');
    await page.getByLabel('New password again', { exact: true }).press('Enter');
    await expect.poll(() => text(page, '#device-title'), { timeout: 15_000 }).toBe(DEVICE_ID);
    expect(await text(page, '#account-name')).toBe('nina');
    await ApiSession.login(stack.base, 'nina', 'nina chose this one');
    await context.close();
  }, 30_000);

  it('an admin creates a token (its secret shown once), and revokes it after confirming', async () => {
    const { context, page } = await dashboardAs(ADMIN);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'API tokens' }).click();
    await expect.poll(() => visible(page, '#tokens-dialog')).toBe(true);
    await page.getByLabel('Token name', { exact: true }).fill('ci-bot');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect.poll(() => visible(page, '#token-secret')).toBe(true);
    expect(await text(page, '#token-secret-title')).toMatch(/will not be shown again/);
    const token = await page.locator('#token-secret-value').inputValue();
    expect(token).toMatch(/^fleet_[0-9a-f]{12}_/);
    const bearer = { authorization: `Bearer ${token}` };
    const me = (await (await fetch(`${stack.base}/api/me`, { headers: bearer })).json()) as MeResponse;
    expect(me.user).toMatchObject({ name: 'ci-bot', role: 'operator', kind: 'token' });

    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => text(page, '#token-copy-status')).toBe('Copied to the clipboard.');
    const row = page.locator('.token', { hasText: 'ci-bot' });
    expect(await row.textContent()).toMatch(/Created by admin/);
    await page.screenshot({ path: join(SCREENSHOTS, 'tokens-desktop.png') });

    await page.getByRole('button', { name: 'Revoke token ci-bot' }).click();
    await page
      .getByRole('group', { name: 'Confirm revoking ci-bot' })
      .getByRole('button', { name: 'Revoke token' })
      .click();
    await expect.poll(() => row.getAttribute('data-revoked')).toBe('true');
    expect(await row.textContent()).toMatch(/Revoked/);
    expect(await statusOf(stack.base, '/api/me', bearer)).toBe(401);

    await page.keyboard.press('Escape');
    await expect.poll(() => visible(page, '#tokens-dialog')).toBe(false);
    await expect.poll(() => page.locator('#token-secret-value').inputValue()).toBe('');
    await context.close();
  }, 30_000);

  it('left no page errors, console errors or Content-Security-Policy refusals', () => {
    expect(problems.seen).toEqual([]);
  });
});

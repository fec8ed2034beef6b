import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn, openPage, PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';
import { FleetStack } from './stack.js';

// A server of its own: the attempts here count against the per-address login limit.
describe.skipIf(!hasChromium)('the login screen when logins are throttled', () => {
  const stack = new FleetStack('throttle-test-01', {
    dashboardEnv: { AUTH: 'on', DASHBOARD_ADMIN_USER: 'admin', DASHBOARD_ADMIN_PASSWORD: 'admin password 1' },
  });
  const problems = new PageProblems();
  let browser: Browser;

  beforeAll(async () => {
    await stack.start();
    const launching = launchChromium();
    await stack.waitForDashboard();
    browser = await launching;
  }, 45_000);

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  }, 30_000);

  it("shows the server's sentence after too many wrong passwords, and holds the button for the wait it names", async () => {
    const { context, page } = await openPage(browser, problems, `${stack.base}/`);
    const error = () => page.locator('#login-error').textContent();
    let attempts = 0;
    while (attempts < 12 && !/Too many/.test((await error()) ?? '')) {
      attempts++;
      await logIn(page, 'admin', `wrong password ${attempts}`);
      await expect.poll(error).not.toBe('');
    }
    expect(attempts, 'attempts until the user name was locked').toBeLessThanOrEqual(11);
    const sentence = (await error()) ?? '';
    expect(sentence).toMatch(/^Too many failed logins for user "admin": it is locked for \d+ s more/);
    const seconds = Number(/locked for (\d+) s/.exec(sentence)?.[1]);
    expect(await page.locator('#login-wait').textContent()).toMatch(
      new RegExp(`^You can try again in (${seconds}|${seconds - 1}) s\\.$`),
    );
    expect(await page.getByRole('button', { name: 'Log in' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'login-throttled.png') });
    // Enter in the password field sends nothing while the name is locked.
    await logIn(page, 'admin', 'admin password 1');
    expect(await error()).toBe(sentence);
    expect(await page.locator('#login-screen').isVisible()).toBe(true);
    expect(problems.seen.filter((line) => !/status of 429/.test(line))).toEqual([]);
    await context.close();
  }, 30_000);
});

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../server/harness.js';
import { PageProblems } from './access-helpers.js';
import { hasChromium, launchChromium, SCREENSHOTS } from './chromium.js';

// The API document's page (Swagger UI) as a browser shows it, under the dashboard's own security headers.
describe.skipIf(!hasChromium)('the API document page in Chromium', () => {
  const problems = new PageProblems();
  let h: Harness;
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    h = await startHarness();
    base = await h.dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('renders every operation of the document, with nothing refused by the CSP', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = problems.watch(await context.newPage());
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
    await page.addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (event) => window.reportViolation(event.violatedDirective + ' ' + event.blockedURI));",
    });
    await page.goto(`${base}/api/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    const apiDocument = (await (await fetch(`${base}/api/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.values(apiDocument.paths).reduce(
      (n, methods) => n + Object.keys(methods).length,
      0,
    );
    expect(await page.locator('.opblock').count()).toBe(operations);
    await expect
      .poll(() => page.getByText('/api/devices/{id}/history', { exact: true }).count())
      .toBeGreaterThan(0);
    await page.screenshot({ path: `${SCREENSHOTS}/api-docs.png` });
    expect(violations).toEqual([]);
    expect(problems.seen).toEqual([]);
    await context.close();
  });
});

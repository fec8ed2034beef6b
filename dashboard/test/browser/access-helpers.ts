import { type Role, TelemetryStore, UserStore } from '@fleet/dashboard';
import { systemClock } from '@fleet/shared';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const SESSION_COOKIE = 'fleet_session';

/**
 * The dashboard's users, on its SQLite file while it runs (WAL lets both write): what an admin does with
 * `npm run fleet -- user …`.
 */
export class UsersOnDisk {
  private readonly store: TelemetryStore;
  readonly users: UserStore;

  constructor(dataDir: string) {
    this.store = new TelemetryStore({
      path: `${dataDir}/dashboard.sqlite`,
      logger: pino({ level: 'silent' }),
    });
    this.store.open();
    this.users = new UserStore(this.store.database, systemClock);
  }

  add(name: string, role: Role, password: string, mustChange = false): Promise<unknown> {
    return this.users.add(name, role, password, mustChange);
  }

  close(): void {
    this.store.close();
  }
}

/** A login from Node (no browser), to check what the server says to a cookie or a token. */
export class ApiSession {
  private constructor(
    private readonly base: string,
    readonly cookie: string,
  ) {}

  static async login(base: string, username: string, password: string): Promise<ApiSession> {
    const response = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const cookie = response.headers
      .getSetCookie()
      .map((line) => line.split(';')[0] ?? '')
      .find((pair) => pair.startsWith(`${SESSION_COOKIE}=`));
    if (response.status !== 204 || !cookie) {
      throw new Error(`Login of ${username} answered ${response.status}: ${await response.text()}`);
    }
    return new ApiSession(base, cookie);
  }

  async getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${this.base}${path}`, { headers: { cookie: this.cookie } });
    if (!response.ok) throw new Error(`${path} answered ${response.status}`);
    return (await response.json()) as T;
  }
}

/** The status of GET `path` with these headers only (a cookie, a token, or nothing). */
export async function statusOf(base: string, path: string, headers: Record<string, string>): Promise<number> {
  return (await fetch(`${base}${path}`, { headers })).status;
}

/** The session cookie a browser context holds, as a Cookie header. */
export async function sessionCookieOf(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((candidate) => candidate.name === SESSION_COOKIE);
  if (!cookie) throw new Error('The browser holds no session cookie.');
  return `${cookie.name}=${cookie.value}`;
}

/**
 * What went wrong on a page: uncaught errors, and console errors other than the 401s the browser logs for
 * requests made without a session (those are how the page learns it must show the login).
 */
export class PageProblems {
  readonly seen: string[] = [];

  watch(page: Page): Page {
    page.on('pageerror', (error) => this.seen.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      if (/status of 401 \(Unauthorized\)/.test(text)) return;
      if (/status of 403 \(Forbidden\)/.test(text)) return;
      this.seen.push(`console error: ${text}`);
    });
    return page;
  }
}

/** A new browser context (its own cookies) with one page at `url`, watched for problems. */
export async function openPage(
  browser: Browser,
  problems: PageProblems,
  url: string,
  viewport = { width: 1280, height: 900 },
  phone = false,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, isMobile: phone, hasTouch: phone });
  const page = problems.watch(await context.newPage());
  await page.goto(url);
  return { context, page };
}

/** Logs in through the page's form, pressing Enter in the password field. */
export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('User name', { exact: true }).fill(username);
  const field = page.getByLabel('Password', { exact: true });
  await field.fill(password);
  await field.press('Enter');
}

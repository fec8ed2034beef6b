import { describe, expect, it } from 'vitest';
import { HttpClient } from '../web/http.js';
import { ServerClock } from '../web/server-clock.js';

/** A browser clock the test sets. */
function browserAt(start: number) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}

const T = Date.parse('2026-12-02T10:00:00.000Z');
const header = (ms: number) => new Date(ms).toUTCString();

describe('ServerClock: the server clock the page uses, from the Date headers of its answers', () => {
  it("keeps the browser's clock while the answers agree with it (to their whole second)", () => {
    const browser = browserAt(T + 400);
    const clock = new ServerClock(browser.now);
    // The same clock on both sides: the header says 10:00:00 for T + 400.
    clock.observe({ date: header(T + 400), sentAt: T + 390, receivedAt: T + 410 });
    expect(clock.correction).toBe(0);
    expect(clock.now()).toBe(T + 400);
    // A server 0.7 s ahead: its header says 10:00:01 before the browser's T + 410, which proves it ahead by
    // at least 0.59 s; that much is corrected, no more.
    clock.observe({ date: header(T + 1100), sentAt: T + 390, receivedAt: T + 410 });
    expect(clock.correction).toBe(590);
  });

  it('corrects a browser clock 10 minutes behind, to within the bounds its answers give', () => {
    const behind = 10 * 60_000;
    const browser = browserAt(T - behind);
    const clock = new ServerClock(browser.now);
    for (let i = 0; i < 20; i++) {
      // Answers 30 ms after they were asked, at moments spread over the server's seconds.
      const server = T + i * 1337;
      const sentAt = server - behind - 15;
      clock.observe({ date: header(server), sentAt, receivedAt: sentAt + 30 });
    }
    browser.set(T - behind + 30_000);
    expect(Math.abs(clock.now() - (T + 30_000))).toBeLessThan(100);
    expect(clock.correction).toBeGreaterThan(behind - 100);
  });

  it('corrects a browser clock ahead too', () => {
    const browser = browserAt(T + 3_600_000);
    const clock = new ServerClock(browser.now);
    clock.observe({ date: header(T), sentAt: T + 3_600_000 - 50, receivedAt: T + 3_600_000 + 50 });
    // The server's time then was between T - 50 and T + 1150 (its second and the margin after it).
    expect(clock.now()).toBeLessThanOrEqual(T + 1150);
    expect(clock.now()).toBeGreaterThanOrEqual(T - 50);
  });

  it('starts again when an answer contradicts what it knew (a clock was set since)', () => {
    const browser = browserAt(T - 60_000);
    const clock = new ServerClock(browser.now);
    clock.observe({ date: header(T), sentAt: T - 60_010, receivedAt: T - 59_990 });
    expect(clock.correction).toBeGreaterThan(59_000);
    // The browser's clock was set right: the answers now agree with it.
    browser.set(T + 5000);
    clock.observe({ date: header(T + 5000), sentAt: T + 4990, receivedAt: T + 5010 });
    expect(clock.correction).toBe(0);
  });

  it('ignores an answer without a Date header, or with one it cannot read', () => {
    const clock = new ServerClock(() => T);
    clock.observe({ date: null, sentAt: T, receivedAt: T });
    clock.observe({ date: 'yesterday', sentAt: T, receivedAt: T });
    expect(clock.correction).toBe(0);
    expect(clock.now()).toBe(T);
  });
});

describe('HttpClient and the server clock', () => {
  /** A fetch that answers at once with these headers, and records the requests' options. */
  function fetchAnswering(headers: Record<string, string>) {
    const inits: RequestInit[] = [];
    const fetchImpl = (async (_path: string, init: RequestInit) => {
      inits.push(init);
      return new Response('{}', { status: 200, headers });
    }) as typeof fetch;
    return { fetchImpl, inits };
  }

  it("tells the clock each answer's Date, and asks for answers from no cache", async () => {
    const browser = browserAt(T - 600_000);
    const clock = new ServerClock(browser.now);
    const { fetchImpl, inits } = fetchAnswering({ date: header(T) });
    await new HttpClient(fetchImpl, clock).getJson('/api/devices');
    expect(clock.correction).toBeGreaterThan(599_000);
    expect((inits[0] as { cache?: string } | undefined)?.cache).toBe('no-store');
  });

  it('ignores the Date of an answer a proxy kept (it has an Age)', async () => {
    const clock = new ServerClock(browserAt(T).now);
    const { fetchImpl } = fetchAnswering({ date: header(T - 3_600_000), age: '3600' });
    await new HttpClient(fetchImpl, clock).getJson('/api/devices');
    expect(clock.correction).toBe(0);
  });
});

import { LoginThrottle } from '@fleet/dashboard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, login, PASSWORD } from './access-helpers.js';
import { capturingLogger, ManualClock } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

describe('LoginThrottle', () => {
  it('locks a name after 10 failures within 15 minutes, 60 s, then doubling up to 15 min; a success clears it', () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle({ clock });
    // In memory (no DATABASE_URL) every answer is a value, not a promise.
    for (let i = 0; i < 9; i++) expect(throttle.failed('alice')).toBe(0);
    expect(throttle.failed('alice')).toBe(60_000);
    expect(throttle.lockedFor('alice')).toBe(60_000);
    expect(throttle.lockedFor('bob')).toBe(0);
    const locks = [60_000];
    for (let round = 0; round < 6; round++) {
      clock.advance(throttle.lockedFor('alice') as number);
      for (let i = 0; i < 9; i++) throttle.failed('alice');
      locks.push(throttle.failed('alice') as number);
    }
    expect(locks).toEqual([60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
    throttle.succeeded('alice');
    expect(throttle.lockedFor('alice')).toBe(0);
    for (let i = 0; i < 9; i++) throttle.failed('alice');
    expect(throttle.failed('alice')).toBe(60_000);
  });

  it('counts only the failures of the last 15 minutes', () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle({ clock });
    for (let i = 0; i < 9; i++) throttle.failed('alice');
    clock.advance(15 * 60_000);
    expect(throttle.failed('alice')).toBe(0);
  });
});

describe('POST /api/login throttling', () => {
  let h: Harness;
  let lines: Array<Record<string, unknown>>;
  beforeEach(async () => {
    const captured = capturingLogger('info');
    lines = captured.lines;
    h = await startHarness({ access: { auth: 'on' }, logger: captured.logger });
    await h.dashboard.users.add('alice', 'operator', PASSWORD);
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers 429 with Retry-After after ten wrong passwords, even to the right one, and lets the right one in after the wait', async () => {
    for (let i = 0; i < 10; i++)
      expect((await login(h.dashboard.app, 'alice', 'wrong password')).statusCode).toBe(401);
    const locked = await login(h.dashboard.app, 'alice');
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('60');
    expect(locked.json()).toEqual({
      status: 'error',
      error: 'Too many failed logins for user "alice": it is locked for 60 s more; try again after that.',
    });
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({
        username: 'alice',
        address: '127.0.0.1',
        retry_after_s: 60,
        msg: 'Login refused: the user name is locked after repeated failed logins',
      }),
    ]);
    h.clock.advance(30_000);
    expect((await login(h.dashboard.app, 'alice')).headers['retry-after']).toBe('30');
    h.clock.advance(30_000);
    expect((await login(h.dashboard.app, 'alice')).statusCode).toBe(204);
    // A success clears the count: one more wrong password is a plain 401.
    expect((await login(h.dashboard.app, 'alice', 'wrong password')).statusCode).toBe(401);
    expect(lines.filter((line) => line.msg === 'Login failed' && line.username === 'alice')).toHaveLength(10);
    expect(lines.filter((line) => String(line.msg).startsWith('Login failed;'))).toEqual([
      expect.objectContaining({ username: 'alice', address: '127.0.0.1', locked_s: 60 }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(PASSWORD);
    expect(JSON.stringify(lines)).not.toContain('wrong password');
  });

  it('logs logins, failed logins and logouts at info with the user name and the address', async () => {
    await login(h.dashboard.app, 'alice', 'wrong password');
    const cookie = String((await login(h.dashboard.app, 'alice')).headers['set-cookie']).split(
      ';',
    )[0] as string;
    await call(h.dashboard.app, 'POST', '/api/logout', { cookie });
    const info = lines.filter((line) => ['Login', 'Login failed', 'Logout'].includes(String(line.msg)));
    expect(info.map((line) => [line.level, line.msg, line.username, line.address])).toEqual([
      [30, 'Login failed', 'alice', '127.0.0.1'],
      [30, 'Login', 'alice', '127.0.0.1'],
      [30, 'Logout', 'alice', '127.0.0.1'],
    ]);
  });

  it('limits logins per client address to 20 in 5 minutes, whatever the user names', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await login(h.dashboard.app, `nobody-${i}`, 'wrong password')).statusCode).toBe(401);
    }
    const refused = await login(h.dashboard.app, 'alice');
    expect(refused.statusCode).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(250);
    expect(retryAfter).toBeLessThanOrEqual(300);
    expect(refused.json().error).toBe(
      `Too many login attempts from 127.0.0.1: at most 20 in 5 minutes; try again in ${retryAfter} s.`,
    );
    expect(lines.filter((line) => line.level === 40)).toEqual([
      expect.objectContaining({
        username: 'alice',
        address: '127.0.0.1',
        msg: 'Login refused: too many attempts from this address',
      }),
    ]);
    // Another address is not held back.
    const other = await h.dashboard.app.inject({
      method: 'POST',
      url: '/api/login',
      remoteAddress: '192.0.2.7',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'alice', password: PASSWORD }),
    });
    expect(other.statusCode).toBe(204);
  });
});

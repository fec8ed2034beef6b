import {
  buildDashboard,
  CHANGE_PASSWORD_FIRST,
  LOGIN_NEEDED,
  LOGINS_OFF,
  type MeResponse,
  TOKEN_NOT_VALID,
  WRONG_LOGIN,
} from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, loggedIn, login, PASSWORD, sessionCookie } from './access-helpers.js';
import { quietLogger } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

describe('logins on: sessions, roles and tokens', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ access: { auth: 'on' } });
  });
  afterEach(async () => {
    await h.close();
  });
  const app = () => h.dashboard.app;

  it.each([
    ['GET', '/api/data'],
    ['GET', '/api/devices'],
    ['GET', '/api/devices/pi-1/history'],
    ['GET', '/api/devices/pi-1/commands'],
    ['GET', '/api/events'],
    ['GET', '/api/me'],
    ['GET', '/api/tokens'],
    ['GET', '/api/nothing-here'],
    ['POST', '/api/command'],
    ['POST', '/api/me/password'],
    ['DELETE', '/api/tokens/0123456789ab'],
  ] as const)('answers 401 to %s %s without a session or a token', async (method, url) => {
    const response = await call(app(), method, url, {}, method === 'GET' ? undefined : {});
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ status: 'error', error: LOGIN_NEEDED });
  });

  it('keeps the page, its files and /healthz open, and /healthz tells nothing but health', async () => {
    expect((await call(app(), 'GET', '/')).statusCode).toBe(200);
    expect((await call(app(), 'GET', '/static/style.css')).statusCode).toBe(200);
    expect((await call(app(), 'GET', '/js/main.js')).statusCode).toBe(200);
    const health = await call(app(), 'GET', '/healthz');
    expect(Object.keys(health.json()).sort()).toEqual(['database', 'error', 'mqtt', 'status']);
  });

  it('logs in with a session cookie: HttpOnly, SameSite=Strict, path /, lasting SESSION_HOURS, not Secure over HTTP', async () => {
    await h.dashboard.users.add('alice', 'viewer', PASSWORD);
    const before = Date.now();
    const response = await login(app(), 'alice');
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    const header = String(response.headers['set-cookie']);
    const attributes = header.split('; ').slice(1);
    expect(attributes.filter((a) => !a.startsWith('Expires='))).toEqual([
      'Path=/',
      'HttpOnly',
      'SameSite=Strict',
    ]);
    const expires = Date.parse(attributes.find((a) => a.startsWith('Expires='))?.slice(8) ?? '');
    expect(Math.abs(expires - before - 12 * 3_600_000)).toBeLessThan(5000);
    const me = await call(app(), 'GET', '/api/me', { cookie: sessionCookie(response) });
    expect(me.json()).toEqual({
      auth: 'on',
      user: { name: 'alice', role: 'viewer', kind: 'user', must_change_password: false },
    } satisfies MeResponse);
    expect((await call(app(), 'GET', '/api/data', { cookie: sessionCookie(response) })).statusCode).toBe(200);
  });

  it('answers 401 with one sentence to a wrong password and to an unknown user alike', async () => {
    await h.dashboard.users.add('alice', 'viewer', PASSWORD);
    for (const [name, password] of [
      ['alice', 'not the password'],
      ['mallory', PASSWORD],
    ]) {
      const response = await login(app(), name as string, password);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ status: 'error', error: WRONG_LOGIN });
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect(WRONG_LOGIN).toBe('The user name or the password is not right.');
  });

  it.each([
    [{ password: PASSWORD }, 'Field "username" received nothing; accepted: 1 to 64 characters'],
    [
      { username: 'a b', password: PASSWORD },
      'Field "username" received "a b"; accepted: 1 to 64 characters',
    ],
    [
      { username: 'alice', password: 1234 },
      'Field "password" received a number; accepted: the user\'s password',
    ],
    [
      { username: 'alice', password: '' },
      'Field "password" received 0 characters; accepted: the user\'s password',
    ],
    [{ username: 'alice', password: PASSWORD, remember: true }, 'Field "remember" is not accepted'],
    [[1], 'The request body received [1]; accepted: a JSON object with "username" and "password".'],
  ])('refuses the login body %j with 400 and the field sentence', async (body, start) => {
    const response = await call(app(), 'POST', '/api/login', {}, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.startsWith(start)).toBe(true);
  });

  it('logs out: 204, the session destroyed and the cookie cleared; the old cookie gets 401 after', async () => {
    const cookie = await loggedIn(h, 'alice', 'viewer');
    const response = await call(app(), 'POST', '/api/logout', { cookie });
    expect(response.statusCode).toBe(204);
    expect(String(response.headers['set-cookie'])).toMatch(/^fleet_session=; Max-Age=0; Path=\/;/);
    const after = await call(app(), 'GET', '/api/data', { cookie });
    expect(after.statusCode).toBe(401);
    expect(h.store.database.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    // A logout without a session is still 204.
    expect((await call(app(), 'POST', '/api/logout')).statusCode).toBe(204);
  });

  it('refuses a command from a viewer with 403 and the sentence, and lets an operator through', async () => {
    const viewer = await loggedIn(h, 'victor', 'viewer');
    const refused = await call(
      app(),
      'POST',
      '/api/command',
      { cookie: viewer },
      { device_id: 'pi-1', mode: 'auto' },
    );
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      status: 'error',
      error: 'Your role is viewer; sending commands and firmware updates needs the operator or admin role.',
    });
    const operator = await loggedIn(h, 'olivia', 'operator');
    const passed = await call(
      app(),
      'POST',
      '/api/command',
      { cookie: operator },
      { device_id: 'pi-1', mode: 'auto' },
    );
    expect(passed.statusCode).toBe(404); // past the guard: the device is unknown
  });

  it('holds a user with a generated password at 403 until they change it, then lets them in with the same session', async () => {
    const cookie = await loggedIn(h, 'ada', 'admin', true);
    const other = sessionCookie(await login(app(), 'ada'));
    for (const [method, url] of [
      ['GET', '/api/data'],
      ['GET', '/api/events'],
      ['GET', '/api/tokens'],
    ] as const) {
      const response = await call(app(), method, url, { cookie });
      expect(response.statusCode).toBe(403);
      expect(response.json().error).toBe(CHANGE_PASSWORD_FIRST);
    }
    expect((await call(app(), 'GET', '/api/me', { cookie })).json().user.must_change_password).toBe(true);
    const change = (body: unknown) => call(app(), 'POST', '/api/me/password', { cookie }, body);
    expect(
      (await change({ current_password: 'not it at all', new_password: 'a new password' })).json(),
    ).toEqual({
      status: 'error',
      error: 'Field "current_password" is not your current password; the password was not changed.',
    });
    const same = await change({ current_password: PASSWORD, new_password: PASSWORD });
    expect([same.statusCode, same.json().error]).toEqual([
      400,
      'Field "new_password" received the current password; accepted: a new password, 10 to 200 characters.',
    ]);
    const short = await change({ current_password: PASSWORD, new_password: 'short' });
    expect(short.json().error).toBe(
      'Field "new_password" received 5 characters; accepted: 10 to 200 characters.',
    );
    expect((await change({ current_password: PASSWORD, new_password: 'a new password' })).statusCode).toBe(
      204,
    );
    expect((await call(app(), 'GET', '/api/data', { cookie })).statusCode).toBe(200);
    expect((await call(app(), 'GET', '/api/me', { cookie })).json().user.must_change_password).toBe(false);
    // The user's other session ended; the new password logs in.
    expect((await call(app(), 'GET', '/api/data', { cookie: other })).statusCode).toBe(401);
    expect((await login(app(), 'ada', 'a new password')).statusCode).toBe(204);
  });

  it('ends the session of a user who is removed, and of one whose session expired', async () => {
    const cookie = await loggedIn(h, 'alice', 'viewer');
    await h.dashboard.users.remove('alice');
    expect((await call(app(), 'GET', '/api/data', { cookie })).statusCode).toBe(401);
    const bob = await loggedIn(h, 'bob', 'viewer');
    h.clock.advance(12 * 3_600_000 - 1000);
    expect((await call(app(), 'GET', '/api/data', { cookie: bob })).statusCode).toBe(200);
    h.clock.advance(1000);
    expect((await call(app(), 'GET', '/api/data', { cookie: bob })).statusCode).toBe(401);
    expect(h.store.database.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 });
  });

  it('makes, lists and revokes API tokens for admins; tokens work with their role; a revoked one gets 401', async () => {
    const admin = await loggedIn(h, 'ada', 'admin');
    const made = await call(
      app(),
      'POST',
      '/api/tokens',
      { cookie: admin },
      { name: 'grafana', role: 'viewer' },
    );
    expect(made.statusCode).toBe(201);
    const { token, info } = made.json();
    expect(token).toMatch(/^fleet_[0-9a-f]{12}_/);
    expect(info).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      name: 'grafana',
      role: 'viewer',
      created_by: 'ada',
      created_at: h.clock.now().toISOString(),
      last_used_at: null,
      revoked_at: null,
    });
    h.clock.advance(1000);
    const operatorToken = (
      await call(app(), 'POST', '/api/tokens', { cookie: admin }, { name: 'script', role: 'operator' })
    ).json().token;

    expect((await call(app(), 'GET', '/api/data', { token })).statusCode).toBe(200);
    expect((await call(app(), 'GET', '/api/me', { token })).json()).toEqual({
      auth: 'on',
      user: { name: 'grafana', role: 'viewer', kind: 'token', must_change_password: false },
    });
    const refused = await call(app(), 'POST', '/api/command', { token }, { device_id: 'pi-1', mode: 'auto' });
    expect(refused.json().error).toBe(
      'Your role is viewer; sending commands and firmware updates needs the operator or admin role.',
    );
    const sent = await call(
      app(),
      'POST',
      '/api/command',
      { token: operatorToken },
      { device_id: 'pi-1', mode: 'auto' },
    );
    expect(sent.statusCode).toBe(404);
    const notAdmin = await call(app(), 'GET', '/api/tokens', { token: operatorToken });
    expect([notAdmin.statusCode, notAdmin.json().error]).toEqual([
      403,
      'Your role is operator; managing API tokens needs the admin role.',
    ]);
    const listed = (await call(app(), 'GET', '/api/tokens', { cookie: admin })).json().tokens;
    expect(listed.map((t: { name: string }) => t.name)).toEqual(['grafana', 'script']);
    expect(JSON.stringify(listed)).not.toContain(token.slice('fleet_0123456789ab_'.length));

    expect((await call(app(), 'DELETE', `/api/tokens/${info.id}`, { cookie: admin })).statusCode).toBe(204);
    const revoked = await call(app(), 'GET', '/api/data', { token });
    expect(revoked.json()).toEqual({ status: 'error', error: TOKEN_NOT_VALID });
    expect(revoked.statusCode).toBe(401);
    const again = await call(app(), 'DELETE', `/api/tokens/${info.id}`, { cookie: admin });
    expect([again.statusCode, again.json().error]).toEqual([409, `API token ${info.id} is revoked already.`]);
    expect((await call(app(), 'DELETE', '/api/tokens/0123456789ab', { cookie: admin })).statusCode).toBe(404);
    expect((await call(app(), 'GET', '/api/data', { token: 'fleet_nonsense' })).statusCode).toBe(401);
  });

  it('refuses a bad token body with the field sentence', async () => {
    const admin = await loggedIn(h, 'ada', 'admin');
    const response = await call(app(), 'POST', '/api/tokens', { cookie: admin }, { name: 'x', role: 'root' });
    expect(response.json().error).toBe(
      'Field "role" received "root"; accepted: one of viewer, operator, admin.',
    );
  });

  it("keeps the cookie secret in the database: a second server on it accepts the first one's session", async () => {
    const cookie = await loggedIn(h, 'alice', 'viewer');
    const secret = h.store.database.prepare("SELECT value FROM secrets WHERE name = 'session-secret'").get();
    expect(secret).toEqual({ value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const replica = await buildDashboard({
      store: h.store,
      broker: h.broker,
      topics: new Topics(),
      logger: quietLogger(),
      clock: h.clock,
      webPaths: h.webPaths,
      access: { auth: 'on', sessionHours: 12, allowedHosts: [], certNames: [], corsOrigins: [] },
    });
    try {
      expect((await call(replica.app, 'GET', '/api/me', { cookie })).json().user.name).toBe('alice');
    } finally {
      await replica.app.close();
      replica.dispose();
    }
  });
});

describe('logins off', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ access: { auth: 'off' } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('lets everyone in as the anonymous admin, and says logins are off to a login', async () => {
    const me = await call(h.dashboard.app, 'GET', '/api/me');
    expect(me.json()).toEqual({
      auth: 'off',
      user: { name: 'anonymous', role: 'admin', kind: 'anonymous', must_change_password: false },
    });
    expect((await call(h.dashboard.app, 'GET', '/api/data')).statusCode).toBe(200);
    const response = await login(h.dashboard.app, 'alice');
    expect([response.statusCode, response.json().error]).toEqual([409, LOGINS_OFF]);
    expect((await call(h.dashboard.app, 'POST', '/api/logout')).statusCode).toBe(204);
  });
});

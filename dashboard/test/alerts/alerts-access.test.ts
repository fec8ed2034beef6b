import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loggedIn } from '../server/access-helpers.js';
import { type Harness, startHarness } from '../server/harness.js';

// With logins on: everyone signed in reads the incidents and the rules; only admins change rules, see the
// channels (even masked) or send a test.
describe('alerts with logins on', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ access: { auth: 'on' } });
  });
  afterEach(async () => {
    await h.close();
  });

  const request = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, cookie?: string, body?: unknown) =>
    h.dashboard.app.inject({
      method,
      url,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });

  const changes: Array<['PUT' | 'POST' | 'DELETE' | 'GET', string, unknown]> = [
    ['PUT', '/api/alerts/rules', { frost: { below: 3 } }],
    ['PUT', '/api/alerts/rules/pi-1', { frost: { below: 3 } }],
    ['DELETE', '/api/alerts/rules/pi-1', undefined],
    ['GET', '/api/alerts/channels', undefined],
    ['PUT', '/api/alerts/channels', { slack: null }],
    ['POST', '/api/alerts/channels/test', {}],
  ];

  it('answers 401 without a session, to reads and changes alike', async () => {
    for (const [method, url, body] of [...changes, ['GET', '/api/alerts', undefined] as const]) {
      expect((await request(method, url, undefined, body)).statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('lets a viewer and an operator read incidents and rules, and refuses them the rest with 403', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const cookie = await loggedIn(h, `${role}-user`, role);
      expect((await request('GET', '/api/alerts', cookie)).statusCode).toBe(200);
      expect((await request('GET', '/api/alerts/rules', cookie)).statusCode).toBe(200);
      for (const [method, url, body] of changes) {
        const response = await request(method, url, cookie, body);
        expect(response.statusCode, `${role} ${method} ${url}`).toBe(403);
        expect(response.json().error).toMatch(/admin/);
      }
    }
    const rules = (await request('GET', '/api/alerts/rules', await loggedIn(h, 'reader', 'viewer'))).json();
    expect(rules.defaults.frost.below).toBe(2);
  });

  it('lets an admin change them', async () => {
    const cookie = await loggedIn(h, 'boss', 'admin');
    expect((await request('PUT', '/api/alerts/rules', cookie, { frost: { below: 3 } })).statusCode).toBe(200);
    expect((await request('GET', '/api/alerts/channels', cookie)).statusCode).toBe(200);
    expect((await request('POST', '/api/alerts/channels/test', cookie, {})).statusCode).toBe(409);
  });
});

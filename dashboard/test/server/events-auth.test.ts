import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOGIN_NEEDED } from '@fleet/dashboard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, loggedIn } from './access-helpers.js';
import { eventually } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

/** `GET /api/events` over a real socket: its status, body so far, and whether the server ended it. */
function openStream(port: number, headers: Record<string, string>) {
  const state = { status: 0, body: '', ended: false };
  const req = request({ host: '127.0.0.1', port, path: '/api/events', headers });
  req.on('response', (response) => {
    state.status = response.statusCode ?? 0;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      state.body += chunk;
    });
    response.on('end', () => {
      state.ended = true;
    });
  });
  req.on('error', () => {});
  req.end();
  return { state, close: () => req.destroy() };
}

describe('GET /api/events behind the login', () => {
  let h: Harness;
  let port: number;
  const streams: Array<{ close: () => void }> = [];
  beforeEach(async () => {
    // Heartbeats far apart unless a test needs one: "at once" must not be a heartbeat's doing.
    h = await startHarness({ access: { auth: 'on' }, heartbeatMs: 60_000 });
    await h.dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.dashboard.app.server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await h.close();
  });
  const open = (headers: Record<string, string>) => {
    const stream = openStream(port, headers);
    streams.push(stream);
    return stream.state;
  };

  it('answers 401 without a session or token', async () => {
    const state = open({});
    await eventually(() => state.ended, 5000, 'the answer');
    expect(state.status).toBe(401);
    expect(JSON.parse(state.body)).toEqual({ status: 'error', error: LOGIN_NEEDED });
  });

  it('ends the stream at once on logout', async () => {
    const cookie = await loggedIn(h, 'alice', 'viewer');
    const state = open({ cookie });
    // The server counts the stream before its answer's headers reach the client: wait for both.
    await eventually(() => h.dashboard.hub.size === 1 && state.status !== 0, 5000, 'the stream');
    expect(state.status).toBe(200);
    await call(h.dashboard.app, 'POST', '/api/logout', { cookie });
    await eventually(() => state.ended, 2000, 'the stream to end');
    expect(h.dashboard.hub.size).toBe(0);
  });

  it('ends at once the streams of other sessions when a user changes their password, and of a revoked token', async () => {
    const elsewhere = await loggedIn(h, 'alice', 'viewer');
    const here = (
      await call(
        h.dashboard.app,
        'POST',
        '/api/login',
        {},
        { username: 'alice', password: 'a long password' },
      )
    ).headers['set-cookie'];
    const cookie = String(here).split(';')[0] as string;
    const { token, info } = await h.dashboard.tokens.create('grafana', 'viewer', 'ada');
    const other = open({ cookie: elsewhere });
    const mine = open({ cookie });
    const byToken = open({ authorization: `Bearer ${token}` });
    await eventually(() => h.dashboard.hub.size === 3, 5000, 'three streams');
    const change = await call(
      h.dashboard.app,
      'POST',
      '/api/me/password',
      { cookie },
      {
        current_password: 'a long password',
        new_password: 'another long password',
      },
    );
    expect(change.statusCode).toBe(204);
    await eventually(() => other.ended, 2000, "the other session's stream to end");
    const admin = await loggedIn(h, 'ada', 'admin');
    await call(h.dashboard.app, 'DELETE', `/api/tokens/${info.id}`, { cookie: admin });
    await eventually(() => byToken.ended, 2000, "the token's stream to end");
    expect(mine.ended).toBe(false);
    expect(h.dashboard.hub.size).toBe(1);
  });
});

describe('GET /api/events: a login ended elsewhere', () => {
  let h: Harness;
  let port: number;
  beforeEach(async () => {
    h = await startHarness({ access: { auth: 'on' }, heartbeatMs: 100 });
    await h.dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.dashboard.app.server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await h.close();
  });

  it('ends the stream at the next heartbeat when the user is removed, the password is set by the CLI, or the session expires', async () => {
    const removed = openStream(port, { cookie: await loggedIn(h, 'alice', 'viewer') });
    const reset = openStream(port, { cookie: await loggedIn(h, 'bob', 'viewer') });
    const expired = openStream(port, { cookie: await loggedIn(h, 'carol', 'viewer') });
    await eventually(() => h.dashboard.hub.size === 3, 5000, 'three streams');
    await h.dashboard.users.remove('alice');
    await eventually(() => removed.state.ended, 2000, "the removed user's stream to end");
    await h.dashboard.users.setPassword('bob', 'set by the admin', { mustChange: true });
    await eventually(() => reset.state.ended, 2000, 'the stream of the user whose password was set to end');
    expect(expired.state.ended).toBe(false);
    h.clock.advance(12 * 3_600_000);
    await eventually(() => expired.state.ended, 2000, "the expired session's stream to end");
    expect(h.dashboard.hub.size).toBe(0);
    for (const stream of [removed, reset, expired]) stream.close();
  });
});

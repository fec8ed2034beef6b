import type { Role } from '@fleet/dashboard';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Harness } from './harness.js';

export const PASSWORD = 'a long password';

/** The `name=value` part of the session cookie a response set, for the next request's Cookie header. */
export function sessionCookie(response: LightMyRequestResponse): string {
  const header = response.headers['set-cookie'];
  const line = (Array.isArray(header) ? header : [header ?? '']).find((c) => c.startsWith('fleet_session='));
  if (!line)
    throw new Error(`No session cookie in ${JSON.stringify(header)} (status ${response.statusCode})`);
  return line.split(';')[0] as string;
}

export function login(app: FastifyInstance, username: string, password = PASSWORD, headers = {}) {
  return app.inject({
    method: 'POST',
    url: '/api/login',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ username, password }),
  });
}

/** Adds a user and logs in: the Cookie header value of the session. */
export async function loggedIn(
  h: Harness,
  username: string,
  role: Role,
  mustChange = false,
): Promise<string> {
  await h.dashboard.users.add(username, role, PASSWORD, mustChange);
  const response = await login(h.dashboard.app, username);
  if (response.statusCode !== 204) throw new Error(`login answered ${response.statusCode}: ${response.body}`);
  return sessionCookie(response);
}

/** A JSON request with a session cookie or a Bearer token. */
export function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  credentials: { cookie?: string; token?: string } = {},
  body?: unknown,
) {
  return app.inject({
    method,
    url,
    headers: {
      ...(credentials.cookie ? { cookie: credentials.cookie } : {}),
      ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
}

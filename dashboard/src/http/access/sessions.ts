import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionStore } from '../../access/session-store.js';

export const SESSION_COOKIE = 'fleet_session';

declare module 'fastify' {
  interface Session {
    username?: string;
  }
}

/** The cookie's attributes; `secure` is decided per request (see below). */
function cookieOptions(lifetimeMs: number) {
  return { httpOnly: true, sameSite: 'strict' as const, path: '/', maxAge: lifetimeMs, secure: false };
}

/**
 * Login sessions: @fastify/cookie and @fastify/session on the SQLite store, the cookie `fleet_session`
 * (HttpOnly, SameSite=Strict, path /, lasting the session's lifetime) signed with the kept secret. Only a
 * login makes a session; nothing is stored for visitors. The cookie is Secure when the request came over
 * HTTPS, directly or through a trusted proxy: the plugin's own `secure: 'auto'` would also drop SameSite to
 * Lax on plain HTTP, so the choice is made here instead, before the plugin writes the cookie.
 */
export async function registerSessions(
  app: FastifyInstance,
  options: { store: SessionStore; secret: string; lifetimeMs: number },
): Promise<void> {
  await app.register(fastifyCookie);
  // Added before the session plugin's own onSend hook, so it runs first.
  app.addHook('onSend', async (request) => {
    const cookie = (request.session as { cookie?: { secure?: unknown } } | null)?.cookie;
    if (cookie) cookie.secure = request.protocol === 'https';
  });
  await app.register(fastifySession, {
    secret: options.secret,
    cookieName: SESSION_COOKIE,
    // The store speaks the plugin's protocol (set/get/destroy with callbacks) on plain data.
    store: options.store as unknown as fastifySession.SessionStore,
    saveUninitialized: false,
    rolling: false,
    cookie: cookieOptions(options.lifetimeMs),
  });
}

/** Logout: the browser is told to forget the cookie. */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
  });
}

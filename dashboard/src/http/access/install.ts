import { hostname } from 'node:os';
import type { Clock, Logger } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import type { AccessStores } from '../../access/access-stores.js';
import { LoginThrottle } from '../../access/login-throttle.js';
import { SESSION_SECRET } from '../../access/secrets.js';
import type { SessionStore } from '../../access/session-store.js';
import type { Tokens } from '../../access/token-store.js';
import type { Users } from '../../access/user-store.js';
import { type LoginRateLimit, loginRoutes } from '../routes/login.js';
import { meRoutes } from '../routes/me.js';
import { tokenRoutes } from '../routes/tokens.js';
import { installCrossSiteCheck } from '../security/cross-site.js';
import { registerCors, registerSecurityHeaders } from '../security/headers.js';
import { HostAllowlist, installHostCheck } from '../security/host-check.js';
import type { SseHub } from '../sse-hub.js';
import { installAuthentication } from './authenticate.js';
import { registerSessions } from './sessions.js';

/** How the dashboard is guarded: from the configuration (AUTH resolved, SESSION_HOURS, hosts, origins). */
export interface AccessOptions {
  auth: 'on' | 'off';
  sessionHours: number;
  /** ALLOWED_HOSTS. */
  allowedHosts: readonly string[];
  /** The DNS names of HTTPS_CERT's certificate. */
  certNames: readonly string[];
  /** CORS_ORIGINS. */
  corsOrigins: readonly string[];
  /** os.hostname() by default. */
  machineName?: string;
  /** Login attempts per client address (default 20 in 5 minutes). */
  loginRateLimit?: LoginRateLimit;
  /** After a user changed their password. */
  onPasswordChanged?: (username: string) => Promise<void>;
}

export interface AccessDeps {
  options: AccessOptions;
  /** Where sessions and the kept cookie secret live (the SQLite file, or PostgreSQL with DATABASE_URL). */
  stores: Pick<AccessStores, 'sessions' | 'keptSecret' | 'failedLogins'>;
  users: Users;
  tokens: Tokens;
  hub: SseHub;
  clock: Clock;
  logger: Logger;
}

export interface Access {
  /** The login sessions (null with logins off). */
  sessions: SessionStore | null;
  throttle: LoginThrottle;
  hosts: HostAllowlist;
}

/**
 * Everything between a request and a route, in this order: security headers, the Host check, CORS, the
 * cross-site check, the login session, who the request is and whether it may go on; then the routes of
 * access itself (login, logout, me, password, tokens).
 */
export async function installAccess(app: FastifyInstance, deps: AccessDeps): Promise<Access> {
  const { options, stores, users, tokens, hub, clock } = deps;
  const logger = deps.logger.child({ component: 'access' });
  const hosts = new HostAllowlist({
    allowedHosts: options.allowedHosts,
    certNames: options.certNames,
    machineName: options.machineName ?? hostname(),
  });
  await registerSecurityHeaders(app);
  installHostCheck(app, hosts);
  await registerCors(app, options.corsOrigins);
  installCrossSiteCheck(app, options.corsOrigins);
  let sessions: SessionStore | null = null;
  if (options.auth === 'on') {
    const lifetimeMs = options.sessionHours * 60 * 60 * 1000;
    sessions = stores.sessions(lifetimeMs);
    await sessions.removeExpired();
    const secret = await stores.keptSecret(SESSION_SECRET);
    await registerSessions(app, { store: sessions, secret, lifetimeMs });
  }
  installAuthentication(app, { auth: options.auth, users, tokens });
  const throttle = new LoginThrottle({ clock, store: stores.failedLogins });
  await loginRoutes(app, {
    auth: options.auth,
    users,
    throttle,
    hub,
    logger,
    ...(options.loginRateLimit ? { rateLimit: options.loginRateLimit } : {}),
  });
  meRoutes(app, {
    auth: options.auth,
    users,
    throttle,
    hub,
    logger,
    ...(options.onPasswordChanged ? { onPasswordChanged: options.onPasswordChanged } : {}),
  });
  tokenRoutes(app, { tokens, hub, logger });
  return { sessions, throttle, hosts };
}

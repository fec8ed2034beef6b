import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatEnvFile, parseEnvFile } from '@fleet/shared';
import { ensureDir, writeFileAtomic } from '../secure/file-access.js';
import { secureLayout } from '../secure/layout.js';

/** How the dashboard of `npm start` is logged into, for its environment and the banner. */
export interface DashboardLogin {
  /** Variables for the dashboard process (over the inherited ones). */
  variables: Record<string, string>;
  /** The banner's line about logging in. */
  banner: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const ADMIN = 'admin';

/**
 * `--secure`: logins on (AUTH=on), with the admin login kept in DIR/secure/admin.env (0600,
 * DASHBOARD_USER and DASHBOARD_PASSWORD; made at the first run, reused after) and seeded into a dashboard
 * that has no user yet. Otherwise the dashboard decides by itself (AUTH=auto): no login when it listens on
 * this machine only, a generated admin password (in its log and DIR/dashboard/initial-admin.env) when not.
 */
export async function dashboardLogin(options: {
  secure: boolean;
  host: string;
  dataDir: string;
}): Promise<DashboardLogin> {
  if (!options.secure) {
    return {
      variables: {},
      banner: LOOPBACK.has(options.host)
        ? `Login        none: the dashboard listens on this machine only (${options.host}); --secure turns logins on`
        : `Login        ${ADMIN}, with the password the dashboard generated: in its log and ${join(options.dataDir, 'dashboard', 'initial-admin.env')}`,
    };
  }
  const path = join(secureLayout(options.dataDir).secureDir, 'admin.env');
  let login = await readLogin(path);
  if (!login) {
    login = { user: ADMIN, password: randomBytes(18).toString('base64url') };
    await ensureDir(secureLayout(options.dataDir).secureDir, 0o755);
    await writeFileAtomic(
      path,
      formatEnvFile({ DASHBOARD_USER: login.user, DASHBOARD_PASSWORD: login.password }, [
        'The dashboard login of npm start -- --secure (made at its first run). Secret.',
      ]),
      0o600,
    );
  }
  return {
    variables: { AUTH: 'on', DASHBOARD_ADMIN_USER: login.user, DASHBOARD_ADMIN_PASSWORD: login.password },
    banner: `Login        ${login.user}, password in ${path}`,
  };
}

async function readLogin(path: string): Promise<{ user: string; password: string } | null> {
  try {
    const variables = parseEnvFile(await readFile(path, 'utf8'), path);
    const { DASHBOARD_USER: user, DASHBOARD_PASSWORD: password } = variables;
    return user && password ? { user, password } : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatEnvFile, type Logger } from '@fleet/shared';
import type { AuthSetting } from '../config.js';
import { generatePassword } from './passwords.js';
import type { Role } from './roles.js';
import { UserError, type Users } from './user-store.js';

export const INITIAL_ADMIN_FILE = 'initial-admin.env';

export interface AuthDecision {
  mode: 'on' | 'off';
  /** Why, in a few words, for the start-up line. */
  reason: string;
}

export interface ResolveAuthOptions {
  setting: AuthSetting;
  /** HOST, the address the server listens on. */
  host: string;
  users: Users;
  adminUser: string;
  /** DASHBOARD_ADMIN_PASSWORD; null: generate one. */
  adminPassword: string | null;
  dataDir: string;
  logger: Logger;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine reaches a server listening there. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * AUTH=auto|on|off and the users there are → logins on or off, with the warning lines that go with an
 * open dashboard. Logins on with no user yet makes the first admin (see seedAdmin).
 */
export async function resolveAuth(options: ResolveAuthOptions): Promise<AuthDecision> {
  const { setting, host, users, logger } = options;
  if (setting === 'off') {
    logger.warn(
      { auth: 'off' },
      'Logins are off (AUTH=off): anyone who reaches this dashboard sees everything and sends any command. Set AUTH=auto or on unless only trusted people can reach it.',
    );
    return { mode: 'off', reason: 'AUTH=off' };
  }
  if ((await users.total()) > 0) return { mode: 'on', reason: `AUTH=${setting}, users exist` };
  if (setting === 'auto' && isLoopbackHost(host)) {
    logger.warn(
      { auth: 'off', host },
      `The dashboard has no login (AUTH=auto, no user yet, HOST ${host}): it is for this machine only. Before it listens on another address, add a user (npm run fleet -- user add) or set AUTH=on.`,
    );
    return { mode: 'off', reason: `AUTH=auto, no user, loopback HOST ${host}` };
  }
  await seedAdmin(options);
  return {
    mode: 'on',
    reason:
      setting === 'on'
        ? 'AUTH=on, first admin made'
        : `AUTH=auto, HOST ${host} is not loopback, first admin made`,
  };
}

/**
 * The first admin, DASHBOARD_ADMIN_USER. With DASHBOARD_ADMIN_PASSWORD, that password (never logged). Without,
 * a generated one, logged once at warn level (on balena the logs are all one sees), written to
 * DATA_DIR/initial-admin.env (mode 600), and to be changed at the first login.
 */
export async function seedAdmin(options: ResolveAuthOptions): Promise<void> {
  const { users, adminUser, adminPassword, dataDir, logger } = options;
  if (adminPassword !== null) {
    if (!(await addFirstAdmin(users, adminUser, adminPassword, false, logger))) return;
    logger.info(
      { username: adminUser },
      `First admin made: user "${adminUser}" with the password of DASHBOARD_ADMIN_PASSWORD.`,
    );
    return;
  }
  const password = generatePassword();
  if (!(await addFirstAdmin(users, adminUser, password, true, logger))) return;
  const file = join(dataDir, INITIAL_ADMIN_FILE);
  let kept = `kept in ${file}`;
  try {
    await writeFile(
      file,
      formatEnvFile({ DASHBOARD_USER: adminUser, DASHBOARD_PASSWORD: password }, [
        'The first admin of the dashboard, made at its first start. The password must be changed at the first',
        'login; this file is removed then.',
      ]),
      { mode: 0o600 },
    );
    await chmod(file, 0o600);
  } catch (error) {
    kept = `${file} could not be written: ${(error as Error).message}`;
  }
  // The one line with the password: a balena user sees only the logs.
  logger.warn(
    { username: adminUser, file },
    `First admin made: user "${adminUser}", password ${password} (generated; shown this once; ${kept}). Log in and change it: the dashboard asks for a new one first.`,
  );
}

/**
 * Adds the first admin; false when another replica on the same database (DATABASE_URL) made that user
 * meanwhile (two starting at once): theirs is kept, and this one starts with it.
 */
async function addFirstAdmin(
  users: Users,
  adminUser: string,
  password: string,
  mustChange: boolean,
  logger: Logger,
): Promise<boolean> {
  const role: Role = 'admin';
  try {
    await users.add(adminUser, role, password, mustChange);
    return true;
  } catch (error) {
    if (!(error instanceof UserError) || (await users.get(adminUser)) === null) throw error;
    logger.info(
      { username: adminUser },
      `First admin "${adminUser}" made by another replica meanwhile; not made again`,
    );
    return false;
  }
}

/** After the first admin changed the generated password, its file has nothing true left to say. */
export async function removeInitialAdminFile(dataDir: string): Promise<void> {
  await rm(join(dataDir, INITIAL_ADMIN_FILE), { force: true });
}

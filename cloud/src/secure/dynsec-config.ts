import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { HaTopics, type Topics } from '@fleet/shared';
import { type FileOwner, writeFileAtomic } from './file-access.js';
import {
  ADMIN_USER,
  adminRole,
  DASHBOARD_USER,
  DEFAULT_ACL_ACCESS,
  type DynsecRole,
  dashboardRole,
  deviceIdOfRole,
  deviceRole,
  HOME_ASSISTANT_USER,
  homeAssistantRole,
  RESERVED_USERS,
} from './roles.js';

/**
 * How Mosquitto 2.0.11's dynamic security plugin hashes a password (plugins/dynamic-security/auth.c,
 * dynsec_auth__pw_hash, and src/password_mosq.h): PBKDF2-HMAC-SHA512 over a 12-byte random salt, 101
 * iterations, 64 bytes; salt and hash stored in base64 without line breaks (clients.c checks both lengths
 * when it loads the file and skips a client whose lengths are wrong).
 */
export const DYNSEC_HASH = { digest: 'sha512', saltBytes: 12, iterations: 101, hashBytes: 64 } as const;

export interface PasswordHash {
  password: string;
  salt: string;
  iterations: number;
}

/** One client of the dynamic security file; fields this code does not know are kept as they are. */
export interface DynsecClient extends Partial<PasswordHash> {
  username: string;
  clientid?: string;
  textname?: string;
  roles?: { rolename: string; priority?: number }[];
  [field: string]: unknown;
}

export interface DynsecConfig {
  defaultACLAccess: typeof DEFAULT_ACL_ACCESS;
  clients: DynsecClient[];
  roles: (DynsecRole | { rolename: string; [field: string]: unknown })[];
  groups: unknown[];
  [field: string]: unknown;
}

export interface ServicePasswords {
  admin: string;
  dashboard: string;
}

export function hashPassword(
  password: string,
  salt: Buffer = randomBytes(DYNSEC_HASH.saltBytes),
  iterations: number = DYNSEC_HASH.iterations,
): PasswordHash {
  const hash = pbkdf2Sync(password, salt, iterations, DYNSEC_HASH.hashBytes, DYNSEC_HASH.digest);
  return { password: hash.toString('base64'), salt: salt.toString('base64'), iterations };
}

/** True when the client's stored hash is the hash of `password`. */
export function passwordMatches(client: Partial<PasswordHash>, password: string): boolean {
  if (!client.password || !client.salt || !client.iterations || client.iterations < 1) return false;
  const stored = Buffer.from(client.password, 'base64');
  const computed = hashPassword(password, Buffer.from(client.salt, 'base64'), client.iterations);
  const fresh = Buffer.from(computed.password, 'base64');
  return stored.length === fresh.length && timingSafeEqual(stored, fresh);
}

function serviceClient(
  username: string,
  textname: string,
  password: string,
  existing: DynsecClient | undefined,
): DynsecClient {
  const hash =
    existing && passwordMatches(existing, password)
      ? { password: existing.password, salt: existing.salt, iterations: existing.iterations }
      : hashPassword(password);
  return { username, textname, roles: [{ rolename: username }], ...hash } as DynsecClient;
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/**
 * The dynamic security file this start wants: the default ACL access, the fleet-admin, dashboard and
 * homeassistant roles (under HA_DISCOVERY_PREFIX; Home Assistant's client, made by the fleet command, is kept)
 * and the two service clients (their hashes from the env files' passwords; an unchanged password keeps its
 * hash) as the code says; every device role's ACLs made to match the code and the fleet's topic root
 * (MQTT_TOPIC_ROOT may have changed, or a release added a topic); every device client, and anything else,
 * kept as it is.
 */
export function reconcileDynsecConfig(
  existing: unknown,
  passwords: ServicePasswords,
  topics: Topics,
  ha: HaTopics = new HaTopics(),
): DynsecConfig {
  const base = existing && typeof existing === 'object' ? (existing as Record<string, unknown>) : {};
  const clients = asArray<DynsecClient>(base.clients);
  const roles = asArray<{ rolename: string }>(base.roles);
  const find = (username: string) => clients.find((client) => client.username === username);
  return {
    ...base,
    defaultACLAccess: { ...DEFAULT_ACL_ACCESS },
    clients: [
      serviceClient(ADMIN_USER, 'Fleet administrator', passwords.admin, find(ADMIN_USER)),
      serviceClient(DASHBOARD_USER, 'Dashboard server', passwords.dashboard, find(DASHBOARD_USER)),
      ...clients.filter((client) => !RESERVED_USERS.includes(client.username)),
    ],
    roles: [
      adminRole(topics),
      dashboardRole(topics, ha),
      homeAssistantRole(topics, ha),
      ...roles
        .filter((role) => ![...RESERVED_USERS, HOME_ASSISTANT_USER].includes(role.rolename))
        .map((role) => {
          const deviceId = deviceIdOfRole(role.rolename);
          return deviceId === null ? role : { ...role, acls: deviceRole(deviceId, topics).acls };
        }),
    ],
    groups: asArray(base.groups),
  };
}

/**
 * Reads the dynamic security file (none on first start), reconciles it and writes it back, mode 0600 and
 * owned by the user Mosquitto runs as (the plugin rewrites it on each change).
 */
export async function writeDynsecConfig(
  path: string,
  passwords: ServicePasswords,
  topics: Topics,
  owner?: FileOwner,
  ha: HaTopics = new HaTopics(),
): Promise<DynsecConfig> {
  let existing: unknown;
  try {
    existing = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `${path} cannot be read as JSON (${(error as Error).message}); it holds every device's credential, so restore it from a backup rather than removing it.`,
      );
    }
  }
  const config = reconcileDynsecConfig(existing, passwords, topics, ha);
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, 0o600, owner);
  return config;
}

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeCaCert, formatEnvFile, parseEnvFile } from '@fleet/shared';
import type { ServicePasswords } from './dynsec-config.js';
import { ensureDir, type FileOwner, writeFileAtomic } from './file-access.js';
import type { SecureLayout } from './layout.js';
import { ADMIN_USER, DASHBOARD_USER } from './roles.js';

/** Random bytes in a generated password (base64url: 32 characters, no spaces, safe in an env file). */
export const PASSWORD_BYTES = 24;

export function newPassword(): string {
  return randomBytes(PASSWORD_BYTES).toString('base64url');
}

/** The variables of an env file, or undefined when there is none. */
export async function readEnvFileIfExists(path: string): Promise<Record<string, string> | undefined> {
  try {
    return parseEnvFile(await readFile(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** How a client reaches the broker over TLS. */
export interface TlsEndpoint {
  host: string;
  port: number;
  /** The private CA to trust; none when a public CA signed the certificate. */
  caCertPem: string | undefined;
  /** The name to verify the certificate against when `host` is not in it (a mounted certificate). */
  serverName?: string | undefined;
}

/** MQTT_BROKER, MQTT_PORT, MQTT_TLS, MQTT_CA_CERT (base64 of the PEM) and MQTT_TLS_SERVERNAME, as they apply. */
export function connectionVariables(endpoint: TlsEndpoint): Record<string, string> {
  const variables: Record<string, string> = {
    MQTT_BROKER: endpoint.host,
    MQTT_PORT: String(endpoint.port),
    MQTT_TLS: 'true',
  };
  if (endpoint.caCertPem) variables.MQTT_CA_CERT = encodeCaCert(endpoint.caCertPem);
  if (endpoint.serverName) variables.MQTT_TLS_SERVERNAME = endpoint.serverName;
  return variables;
}

export interface EnvFilesOptions {
  layout: SecureLayout;
  port: number;
  caCertPem: string | undefined;
  /** MQTT_TLS_SERVERNAME for the admin and dashboard files (a mounted certificate). */
  serverName: string | undefined;
  /** The host broker-admin.env names (127.0.0.1 in the image). */
  adminHost: string;
  /** The host dashboard.env names (mosquitto, the compose service, in the image). */
  dashboardHost: string;
  /** The host client.env names: what devices outside use (first of BROKER_HOSTNAMES, else localhost). */
  clientHost: string;
  /** MQTT_TOPIC_ROOT, written in every file: the broker's ACLs follow it, so its clients must use it. */
  topicRoot: string;
  /** A folder that gets a copy of dashboard.env for the dashboard's container. */
  sharedDir?: string | undefined;
  /** Owner of that copy (the dashboard image's `node` user); unset keeps this process's user. */
  sharedOwner?: FileOwner | undefined;
}

/**
 * Writes broker-admin.env and dashboard.env (0600) and client.env (0644) in D/secure/, and the copy of
 * dashboard.env in the shared folder. The passwords already in the files are kept (so a password edited
 * there is the one applied); a missing one is generated. Returns the two passwords.
 */
export async function writeEnvFiles(options: EnvFilesOptions): Promise<ServicePasswords> {
  const { layout, port, caCertPem, serverName } = options;
  const root = { MQTT_TOPIC_ROOT: options.topicRoot };
  const passwordIn = async (path: string) =>
    (await readEnvFileIfExists(path))?.MQTT_PASSWORD || newPassword();
  const passwords = {
    admin: await passwordIn(layout.adminEnv),
    dashboard: await passwordIn(layout.dashboardEnv),
  };

  const admin = formatEnvFile(
    {
      ...connectionVariables({ host: options.adminHost, port, caCertPem, serverName }),
      ...root,
      MQTT_USERNAME: ADMIN_USER,
      MQTT_PASSWORD: passwords.admin,
    },
    [
      'The broker administrator (fleet-admin): the fleet CLI and the health check connect with it.',
      'Secret: it adds and removes device credentials. Change MQTT_PASSWORD and restart the broker to rotate it.',
    ],
  );
  const dashboard = formatEnvFile(
    {
      ...connectionVariables({ host: options.dashboardHost, port, caCertPem, serverName }),
      ...root,
      MQTT_USERNAME: DASHBOARD_USER,
      MQTT_PASSWORD: passwords.dashboard,
    },
    [
      "The dashboard server's broker connection (user dashboard). Secret.",
      'Change MQTT_PASSWORD and restart the broker to rotate it.',
    ],
  );
  const client = formatEnvFile(
    { ...connectionVariables({ host: options.clientHost, port, caCertPem }), ...root },
    ['What a device needs to reach this broker, besides its own MQTT_USERNAME and MQTT_PASSWORD.'],
  );
  await writeFileAtomic(layout.adminEnv, admin, 0o600);
  await writeFileAtomic(layout.dashboardEnv, dashboard, 0o600);
  await writeFileAtomic(layout.clientEnv, client, 0o644);
  if (options.sharedDir) {
    await ensureDir(options.sharedDir, 0o755);
    await writeFileAtomic(join(options.sharedDir, 'dashboard.env'), dashboard, 0o600, options.sharedOwner);
  }
  return passwords;
}

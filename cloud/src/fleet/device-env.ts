import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvFileError, formatEnvFile, parseEnvFile } from '@fleet/shared';
import { ensureDir, writeFileAtomic } from '../secure/file-access.js';
import { secureLayout } from '../secure/layout.js';
import { deviceClientId } from '../secure/roles.js';
import type { EnvConnection } from './connect-options.js';
import type { DeviceCredential, DynsecAdmin } from './dynsec-admin.js';

/** The connection lines every device of this broker shares; a device adds its id and credential. */
export type ClientVariables = Record<string, string>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * What a device needs to reach the broker: D/secure/client.env, which the broker writes at start (its
 * MQTT_BROKER is the first of BROKER_HOSTNAMES). Without that file (the admin credential came from the
 * environment, on another machine), the address, port and CA this command reached the broker with.
 */
export async function clientVariables(dataDir: string, admin: EnvConnection): Promise<ClientVariables> {
  const path = secureLayout(dataDir).clientEnv;
  try {
    return parseEnvFile(await readFile(path, 'utf8'), path);
  } catch (error) {
    if (error instanceof EnvFileError || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { host, port, protocol, ca, servername } = admin.options;
  const variables: ClientVariables = { MQTT_BROKER: servername ?? host, MQTT_PORT: String(port) };
  if (protocol === 'mqtts') variables.MQTT_TLS = 'true';
  if (ca) variables.MQTT_CA_CERT = Buffer.from(ca, 'utf8').toString('base64');
  return variables;
}

/** A note when the address devices get is this machine's loopback: right only for devices on this machine. */
export function loopbackNote(client: ClientVariables): string | null {
  if (!LOOPBACK.has(client.MQTT_BROKER ?? '')) return null;
  return `MQTT_BROKER=${client.MQTT_BROKER} reaches the broker only from its own machine; for devices elsewhere, set BROKER_HOSTNAMES on the broker (for npm start: BROKER_HOSTNAMES=<name> npm start -- --secure) to the name or address they use, restart it, and add the device again.`;
}

/** A device's variables: the shared connection lines, then DEVICE_ID, MQTT_USERNAME and MQTT_PASSWORD. */
export function deviceVariables(
  client: ClientVariables,
  credential: DeviceCredential,
): Record<string, string> {
  return {
    ...client,
    DEVICE_ID: credential.id,
    MQTT_USERNAME: credential.id,
    MQTT_PASSWORD: credential.password,
  };
}

/** The lines `fleet device add` prints for one device, and that `npm start -- --secure` writes to a file. */
export function deviceEnvText(client: ClientVariables, credential: DeviceCredential): string {
  return formatEnvFile(deviceVariables(client, credential), [
    `Device ${credential.id}: set these as variables of its edge service (balena: Device > Variables, service "edge"),`,
    `or load them outside balena: set -a; . ./${credential.id}.env; set +a (or ENV_FILE=${credential.id}.env).`,
  ]);
}

/** D/secure/devices/: the env files of the devices `npm start -- --secure` runs. */
export function deviceEnvDir(dataDir: string): string {
  return join(secureLayout(dataDir).secureDir, 'devices');
}

/** D/secure/devices/<id>.env */
export function deviceEnvPath(dataDir: string, id: string): string {
  return join(deviceEnvDir(dataDir), `${id}.env`);
}

/**
 * Gives each of `ids` a credential and writes its env file (0600) in D/secure/devices/, for the simulated
 * devices of `npm start -- --secure`. A device that already has both a credential on the broker and a file
 * keeps them (the same command run twice changes nothing); one with only one of the two gets a new credential.
 */
export async function provisionDevices(
  admin: DynsecAdmin,
  dataDir: string,
  client: ClientVariables,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const existing = new Set(await admin.listDevices());
  const files = new Map<string, string>();
  await ensureDir(deviceEnvDir(dataDir), 0o700);
  for (const id of ids) {
    const path = deviceEnvPath(dataDir, id);
    const kept = existing.has(id) ? await keptCredential(path, id) : null;
    if (!kept) {
      if (existing.has(id)) await admin.removeDevice(id);
      const credential = await admin.addDevice(id);
      await writeFileAtomic(path, deviceEnvText(client, credential), 0o600);
    } else if (!sameConnection(kept, client)) {
      // The broker's address or CA changed since: same credential, new connection lines.
      const credential = { id, clientId: deviceClientId(id), password: kept.MQTT_PASSWORD ?? '' };
      await writeFileAtomic(path, deviceEnvText(client, credential), 0o600);
    }
    files.set(id, path);
  }
  return files;
}

async function keptCredential(path: string, id: string): Promise<Record<string, string> | null> {
  try {
    const variables = parseEnvFile(await readFile(path, 'utf8'), path);
    return variables.MQTT_USERNAME === id && variables.MQTT_PASSWORD ? variables : null;
  } catch {
    return null;
  }
}

function sameConnection(kept: Record<string, string>, client: ClientVariables): boolean {
  return Object.entries(client).every(([name, value]) => kept[name] === value);
}

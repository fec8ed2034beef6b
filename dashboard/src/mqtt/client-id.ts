import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATABASE_FILE } from '../config.js';

export const CLIENT_ID_FILE = 'mqtt-client-id';
/** The fixed id every dashboard of the compose file used before ids were made per installation. */
export const EARLIER_CLIENT_ID = 'dashboard';
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The dashboard's MQTT client id: MQTT_CLIENT_ID when set, else the one this installation made at its first
 * start and keeps in DATA_DIR. It must be stable (the broker keeps the dashboard's session under it while it
 * is away) and unique in the fleet (two clients with one id throw each other off the broker), which neither a
 * fixed name nor a container's host name is.
 *
 * An installation upgraded from a release that used the fixed id `dashboard` (its database exists, it has no
 * id file yet) keeps that id: the broker holds the readings that came in during the upgrade in that session.
 */
export async function resolveClientId(configured: string | null, dataDir: string): Promise<string> {
  if (configured) return configured;
  const path = join(dataDir, CLIENT_ID_FILE);
  try {
    const kept = (await readFile(path, 'utf8')).trim();
    if (CLIENT_ID_PATTERN.test(kept)) return kept;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const upgraded = await exists(join(dataDir, DATABASE_FILE));
  const made = upgraded ? EARLIER_CLIENT_ID : `dashboard-${randomBytes(6).toString('hex')}`;
  await mkdir(dataDir, { recursive: true });
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${made}\n`);
  await rename(temporary, path);
  return made;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CLIENT_ID_FILE = 'mqtt-client-id';
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The dashboard's MQTT client id: MQTT_CLIENT_ID when set, else the one this installation made at its first
 * start and keeps in DATA_DIR. It must be stable (the broker keeps the dashboard's session under it while it
 * is away) and unique in the fleet (two clients with one id throw each other off the broker), which neither a
 * fixed name nor a container's host name is.
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
  const made = `dashboard-${randomBytes(6).toString('hex')}`;
  await mkdir(dataDir, { recursive: true });
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${made}\n`);
  await rename(temporary, path);
  return made;
}

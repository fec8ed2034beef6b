import { chmod, readFile, stat } from 'node:fs/promises';
import { parseEnvFile } from '@fleet/shared';
import { makeTempDir } from '../src/exit-cleanup.js';

/** True when this process is root: Mosquitto then drops to its own user, and owners are checked too. */
export const asRoot = process.getuid?.() === 0;

/** A temp folder (removed at exit) that the user Mosquitto drops to can enter, as a data folder must be. */
export async function reachableTempDir(prefix: string): Promise<string> {
  const dir = await makeTempDir(prefix);
  await chmod(dir, 0o755);
  return dir;
}

export async function readEnv(path: string): Promise<Record<string, string>> {
  return parseEnvFile(await readFile(path, 'utf8'), path);
}

/** Mode bits of a file, e.g. 0o600. */
export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

export async function ownerOf(path: string): Promise<{ uid: number; gid: number }> {
  const info = await stat(path);
  return { uid: info.uid, gid: info.gid };
}

/** The PEM text of MQTT_CA_CERT as the env files write it (base64 of the PEM). */
export function decodeCa(value: string | undefined): string {
  return Buffer.from(value ?? '', 'base64').toString('utf8');
}

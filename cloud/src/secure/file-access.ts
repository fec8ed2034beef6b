import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** A user and group to give a file to. */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** The user Mosquitto runs as once it has read its configuration. */
export interface BrokerUser extends FileOwner {
  name: string;
}

/** The owner of the dashboard's copy of dashboard.env in the image: `node` (1000:1000) of the dashboard image. */
export const DASHBOARD_IMAGE_USER: FileOwner = { uid: 1000, gid: 1000 };

function passwdEntry(text: string, name: string): BrokerUser | undefined {
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid && gid) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * Started as root, Mosquitto 2.0 drops to the user `mosquitto` (or `nobody` when there is none) right after
 * it has read its configuration file, and only then opens its persistence file, loads the plugin (which
 * reads and rewrites the dynamic security file) and loads the TLS certificate and key (src/mosquitto.c,
 * main(): drop_privileges() comes before db__open(), mosquitto_security_module_init() and
 * listeners__start()). That user must own D/broker and be able to read server.key. Started as anyone else,
 * it stays that user: undefined, nothing to hand over.
 */
export function brokerRunAs(passwd = '/etc/passwd'): BrokerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let text = '';
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    // No user database: Mosquitto could not drop privileges either.
  }
  return passwdEntry(text, 'mosquitto') ?? passwdEntry(text, 'nobody');
}

/** Writes through a temporary file and a rename, so a reader never sees half a file; then mode and owner. */
export async function writeFileAtomic(
  path: string,
  text: string,
  mode: number,
  owner?: FileOwner,
): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  if (owner) await chown(temporary, owner.uid, owner.gid);
  await rename(temporary, path);
}

/** A folder with this mode (and owner), made if missing. */
export async function ensureDir(path: string, mode: number, owner?: FileOwner): Promise<void> {
  await mkdir(path, { recursive: true, mode });
  await chmod(path, mode);
  if (owner) await chown(path, owner.uid, owner.gid);
}

/** Gives a file that exists to `owner`; a missing one is fine. */
export async function chownIfExists(path: string, owner: FileOwner): Promise<void> {
  try {
    await chown(path, owner.uid, owner.gid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function canSearch(mode: number, uid: number, gid: number, user: BrokerUser): boolean {
  if (uid === user.uid) return (mode & 0o100) !== 0;
  if (gid === user.gid) return (mode & 0o010) !== 0;
  return (mode & 0o001) !== 0;
}

/**
 * Throws one sentence when `user` cannot reach `path` because a folder above it is closed to it (a private
 * temp folder, a home folder with mode 0700): Mosquitto would then fail with a less helpful message.
 */
export async function assertReachable(path: string, user: BrokerUser): Promise<void> {
  const folders: string[] = [];
  for (let folder = dirname(resolve(path)); ; folder = dirname(folder)) {
    folders.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  for (const folder of folders) {
    const info = await stat(folder);
    if (!canSearch(info.mode, info.uid, info.gid, user)) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new Error(
        `Mosquitto runs as the user ${user.name} once started as root, and that user cannot enter ${folder} (mode ${mode}, owner uid ${info.uid}); allow it (chmod o+x ${folder}) or choose a data folder it can reach.`,
      );
    }
  }
}

import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '@fleet/shared';

/** Temporary files of `writeFileAtomic` are named `<file>.tmp-<random>` next to their target. */
const TEMP_MARK = '.tmp-';

/**
 * Flushes a directory entry to disk, so a rename or a new file in it survives a power cut.
 * Some file systems refuse to fsync a directory; then there is nothing more to do.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `path` with `data` so that a crash or power cut at any moment leaves either the old
 * content or the new one, never a mix: write a temporary file in the same directory, fsync it,
 * rename it over the target, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dirname(path));
}

/**
 * Deletes the temporary files a crashed `writeFileAtomic(path, …)` left behind. The target itself is
 * untouched; gives the number of files removed.
 */
export async function removeStaleTempFiles(path: string): Promise<number> {
  const prefix = `${basename(path)}${TEMP_MARK}`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const stale = names.filter((name) => name.startsWith(prefix));
  await Promise.all(stale.map((name) => rm(join(dirname(path), name), { force: true })));
  return stale.length;
}

/**
 * Reads a JSON file. Gives null when it does not exist, and also when it cannot be read as JSON
 * (after a warning on `logger`): a broken file is treated as absent, never as a reason to crash.
 */
export async function readJsonFile(path: string, logger?: Logger): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    logger?.warn({ path, err: error }, `Cannot read ${path}; treating it as absent.`);
    return null;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    logger?.warn(
      { path, error: (error as Error).message },
      `${path} is not valid JSON; treating it as absent.`,
    );
    return null;
  }
}

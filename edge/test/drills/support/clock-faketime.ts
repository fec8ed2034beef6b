import { existsSync, readdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Debian's libfaketime (package libfaketime, pulled in by faketime): preloaded into a process, it shifts what
 * the wall clock says. Found under /usr/lib/<multiarch triplet>/faketime/, whichever the machine's.
 */
export function findLibfaketime(): string | null {
  const candidates = ['/usr/lib', '/usr/local/lib'].flatMap((root) => {
    if (!existsSync(root)) return [];
    return [root, ...readdirSync(root).map((name) => join(root, name))].map((dir) =>
      join(dir, 'faketime', 'libfaketime.so.1'),
    );
  });
  return candidates.find((path) => existsSync(path)) ?? null;
}

/**
 * The variables that make a process's wall clock read what `timeFile` says (an offset such as `-365d`, or
 * `+0` for the real time), re-read at every call so that a test can set the clock while the process runs.
 * The monotonic clock stays real, as it does on a Pi whose clock NTP sets.
 */
export function faketimeEnv(library: string, timeFile: string): Record<string, string> {
  return {
    LD_PRELOAD: library,
    FAKETIME_TIMESTAMP_FILE: timeFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/**
 * Sets the clock of the processes that read `timeFile`: `-365d` a year behind, `+0` the real time. Renamed
 * into place, so that a process never reads a half-written file.
 */
export async function setFakeClock(timeFile: string, offset: string): Promise<void> {
  await writeFile(`${timeFile}.next`, `${offset}\n`);
  await rename(`${timeFile}.next`, timeFile);
}

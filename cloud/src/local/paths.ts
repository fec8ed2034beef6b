import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled entry points the launcher runs, as absolute paths. */
export interface EntryPoints {
  repoRoot: string;
  dashboard: string;
  edge: string;
}

/**
 * Paths from this file's location: cloud/src/local/ (tests) and cloud/dist/local/ (compiled) are both three
 * levels below the repository root.
 */
export function entryPoints(moduleUrl: string = import.meta.url): EntryPoints {
  const at = (path: string) => fileURLToPath(new URL(`../../../${path}`, moduleUrl));
  return { repoRoot: at(''), dashboard: at('dashboard/dist/main.js'), edge: at('edge/dist/main.js') };
}

/** The entry points that are not built yet, relative to the repository root. */
export function missingEntryPoints(entries: EntryPoints): string[] {
  return [entries.dashboard, entries.edge]
    .filter((path) => !existsSync(path))
    .map((path) => path.slice(entries.repoRoot.length));
}

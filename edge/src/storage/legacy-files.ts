import { createReadStream } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { type DeviceFacts, deviceFactsSchema } from '../state/device-state.js';

/** The previous release's files in DATA_DIR (contract 1): its state, its outbox, and their temporary files. */
export const LEGACY_STATE_FILE = 'device-state.json';
export const LEGACY_OUTBOX_FILE = 'outbox.jsonl';
const LEGACY_TEMP_MARK = '.tmp-';

const legacyStateSchema = deviceFactsSchema.extend({
  format: z.literal(1),
  seqNext: z.number().int().min(0),
});

export interface LegacyState {
  /** The state file was there. */
  found: boolean;
  /** What it held, or null when it was missing or not valid. */
  facts: DeviceFacts | null;
  /** Why a file that was there is not used, or null. */
  problem: string | null;
}

export interface LegacyOutbox {
  found: boolean;
  /** The queued readings, oldest first, as the previous release wrote them. */
  readings: Array<{ seq: number; line: string }>;
  /** Lines that were not a reading or a removal (torn by a power cut). */
  skipped: number;
  /** Readings beyond `max`, oldest first, left out. */
  dropped: number;
  /** Why the file could not be read, or null. */
  problem: string | null;
}

/** Removes the previous release's unfinished atomic writes (`<file>.tmp-<random>`); gives their names. */
export async function removeLegacyTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((name) =>
    [LEGACY_STATE_FILE, LEGACY_OUTBOX_FILE].some((file) => name.startsWith(`${file}${LEGACY_TEMP_MARK}`)),
  );
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true, recursive: true })));
  return stale;
}

export async function readLegacyState(dir: string): Promise<LegacyState> {
  let text: string;
  try {
    text = await readFile(join(dir, LEGACY_STATE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { found: false, facts: null, problem: null };
    return { found: true, facts: null, problem: `it cannot be read (${(error as Error).message})` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { found: true, facts: null, problem: 'it is not valid JSON' };
  }
  const parsed = legacyStateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { found: true, facts: null, problem: `field "${issue?.path.join('.')}": ${issue?.message}` };
  }
  const { firmware, settings, envSnapshot, ota } = parsed.data;
  return { found: true, facts: { firmware, settings, envSnapshot, ota }, problem: null };
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * Reads the previous release's outbox (JSON lines: a reading, or `{"removed":[seq,…]}`) line by line, so a
 * huge file never has to fit in memory: the queue is replayed keeping at most `max` readings (the oldest
 * are left out and counted). Unreadable lines are skipped and counted.
 */
export async function readLegacyOutbox(dir: string, max: number): Promise<LegacyOutbox> {
  const queue = new Map<number, string>();
  let skipped = 0;
  let dropped = 0;
  const stream = createReadStream(join(dir, LEGACY_OUTBOX_FILE), { encoding: 'utf8' });
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line.trim() === '') continue;
      let record: Record<string, unknown>;
      try {
        const value = JSON.parse(line) as unknown;
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          throw new Error('not a record');
        record = value as Record<string, unknown>;
      } catch {
        skipped += 1;
        continue;
      }
      if (Array.isArray(record.removed) && record.removed.every(isSeq)) {
        for (const seq of record.removed) queue.delete(seq);
      } else if (isSeq(record.seq) && typeof record.device_id === 'string') {
        queue.delete(record.seq);
        queue.set(record.seq, line);
        if (queue.size > max) {
          const oldest = queue.keys().next().value as number;
          queue.delete(oldest);
          dropped += 1;
        }
      } else {
        skipped += 1;
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { found: false, readings: [], skipped: 0, dropped: 0, problem: null };
    }
    return {
      found: true,
      readings: [],
      skipped,
      dropped,
      problem: `it cannot be read (${(error as Error).message})`,
    };
  }
  const readings = [...queue].map(([seq, line]) => ({ seq, line }));
  return { found: true, readings, skipped, dropped, problem: null };
}

/** Moves an unusable legacy file aside as `<file>.corrupt-<time>`, so it is neither read again nor lost. */
export async function moveLegacyAside(dir: string, file: string, now: Date): Promise<string> {
  const to = join(dir, `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`);
  await rename(join(dir, file), to);
  return to;
}

/** Deletes the previous release's state and outbox once they are imported. */
export async function removeLegacyFiles(dir: string): Promise<void> {
  await rm(join(dir, LEGACY_STATE_FILE), { force: true });
  await rm(join(dir, LEGACY_OUTBOX_FILE), { force: true });
}

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  firmwareVersionSchema,
  intervalSchema,
  type Logger,
  modeSchema,
  otaSchema,
  settingsSchema,
  thresholdSchema,
} from '@fleet/shared';
import { z } from 'zod';
import { readJsonFile, removeStaleTempFiles, writeFileAtomic } from './atomic-file.js';

export { resolveStartupState, type StartupOptions, type StartupState } from './startup-state.js';

/** The values the environment gave at the last start, to tell later whether a variable was changed. */
export const envSnapshotSchema = z.object({
  firmware: firmwareVersionSchema,
  mode: modeSchema,
  intervalle: intervalSchema,
  seuil_alerte: thresholdSchema,
});
export type EnvSnapshot = z.infer<typeof envSnapshotSchema>;

/** What the device keeps across restarts and power cuts. */
export const persistedStateSchema = z.object({
  /** The firmware version running (changed by a successful OTA update). */
  firmware: firmwareVersionSchema,
  /** The settings as commands last left them. */
  settings: settingsSchema,
  envSnapshot: envSnapshotSchema,
  /** No `seq` below this mark may be handed out again (see SeqCounter). */
  seqNext: z.number().int().min(0),
  /** The last OTA status, or null when no update ever ran. */
  ota: otaSchema.nullable(),
});
export type PersistedState = z.infer<typeof persistedStateSchema>;

/** The file carries a format number, so a later firmware can tell an older file apart. */
export const STATE_FILE_FORMAT = 1;
export const DEVICE_STATE_FILE = 'device-state.json';

const stateFileSchema = persistedStateSchema.extend({ format: z.literal(STATE_FILE_FORMAT) });
const seqNextOnlySchema = z.object({ seqNext: z.number().int().min(0) });

/**
 * The device state in `<dir>/device-state.json`, written atomically (old or new, never broken).
 * Saves run one after the other, in the order they were asked for. `seqNext` never goes back in
 * what is written: a save carrying a lower mark than one already seen keeps the higher one.
 */
export class DeviceStateStore {
  readonly path: string;
  private latest: PersistedState | null = null;
  private floor = 0;
  private queue: Promise<void> = Promise.resolve();
  private dirReady = false;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {
    this.path = join(dir, DEVICE_STATE_FILE);
  }

  /** The last state loaded, saved or updated (the one the next write will hold), or null. */
  get current(): PersistedState | null {
    return this.latest;
  }

  /**
   * The highest `seqNext` seen in any file, valid or not, or saved since. When the file turned out
   * unusable but still held a mark, a new SeqCounter must start at least here.
   */
  get seqFloor(): number {
    return this.floor;
  }

  /**
   * Reads the state. Gives null when there is none, or when the file is broken or does not match the
   * schema (with a warning): the device then starts from its environment, never crashes.
   */
  async load(): Promise<PersistedState | null> {
    const stale = await removeStaleTempFiles(this.path);
    if (stale > 0)
      this.logger.info({ path: this.path, stale }, 'Removed unfinished writes of the device state.');
    const raw = await readJsonFile(this.path, this.logger);
    if (raw === null) return null;
    const salvaged = seqNextOnlySchema.safeParse(raw);
    if (salvaged.success) this.floor = Math.max(this.floor, salvaged.data.seqNext);
    const parsed = stateFileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.logger.warn(
        { path: this.path, field: issue?.path.join('.'), problem: issue?.message, seqFloor: this.floor },
        `${this.path} does not hold a valid device state; starting from the environment.`,
      );
      return null;
    }
    const { format: _format, ...state } = parsed.data;
    this.latest = state;
    return state;
  }

  /** Writes the whole state; resolves once it is on disk. */
  save(state: PersistedState): Promise<void> {
    const next = { ...state, seqNext: Math.max(state.seqNext, this.floor) };
    this.floor = next.seqNext;
    this.latest = next;
    return this.enqueue(next);
  }

  /**
   * Changes some fields of the last loaded or saved state and writes it; throws when there is none yet.
   * When the write fails, the fields of the patch go back to what they were (unless a later update changed
   * them since), so a later write never carries a change its caller was told did not happen.
   */
  async update(patch: Partial<PersistedState>): Promise<PersistedState> {
    const previous = this.latest;
    if (!previous) throw new Error('DeviceStateStore.update() needs a state loaded or saved first.');
    const written = this.save({ ...previous, ...patch });
    const next = this.latest as PersistedState;
    try {
      await written;
    } catch (error) {
      const current = this.latest as PersistedState;
      const restored = { ...current };
      for (const key of Object.keys(patch) as Array<keyof PersistedState>) {
        // seqNext only moves forward (save keeps it at or above the floor): a failed reservation stays counted.
        if (key !== 'seqNext' && current[key] === next[key])
          Object.assign(restored, { [key]: previous[key] });
      }
      this.latest = restored;
      throw error;
    }
    return next;
  }

  /** Resolves once every save asked for so far is written (or failed). */
  async flush(): Promise<void> {
    await this.queue;
  }

  private enqueue(state: PersistedState): Promise<void> {
    const write = this.queue.then(() => this.write(state));
    this.queue = write.catch(() => undefined);
    return write;
  }

  private async write(state: PersistedState): Promise<void> {
    if (!this.dirReady) {
      await mkdir(this.dir, { recursive: true });
      this.dirReady = true;
    }
    const file = { format: STATE_FILE_FORMAT, ...state };
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
    this.logger.debug({ path: this.path, seqNext: state.seqNext }, 'Device state saved.');
  }
}

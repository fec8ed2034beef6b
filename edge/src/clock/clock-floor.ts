import { readFile, writeFile } from 'node:fs/promises';
import type { Logger } from '@fleet/shared';

/**
 * The day this firmware was released. No reading is taken before it, so a wall clock earlier than this is
 * certainly not set (a Pi without a real-time clock starts at its OS image's date, or in 1970).
 */
export const FIRMWARE_RELEASE_DATE = new Date('2026-12-01T00:00:00.000Z');

/** The file in DATA_DIR holding the last wall time this device saw while its clock was synchronised. */
export const LAST_SYNCED_FILE = 'last-synced-time';

export interface ClockFloorOptions {
  /** Where the last synchronised wall time is kept; null keeps it in memory only. */
  file: string | null;
  logger: Logger;
  releaseDate?: Date;
}

/**
 * The earliest wall time the clock can honestly show: the later of the firmware's release date and the last
 * wall time this device saw while synchronised (kept in one small file, an ISO 8601 line). The file is a
 * hint: missing, unreadable or unwritable, the release date still holds, so each problem is logged once
 * and nothing stops.
 */
export class ClockFloor {
  private readonly log: Logger;
  private readonly releaseDate: Date;
  /** The last synchronised time an earlier run kept: the floor during this run. */
  private loaded: Date | null = null;
  private lastRecorded: Date | null = null;
  private writeFailing = false;

  constructor(private readonly options: ClockFloorOptions) {
    this.log = options.logger;
    this.releaseDate = options.releaseDate ?? FIRMWARE_RELEASE_DATE;
  }

  /**
   * The floor: a wall clock earlier than this is not set. It stays the same during a run (what `record()`
   * keeps counts from the next start), so a small step back of a synchronised clock does not count as lost.
   */
  get value(): Date {
    return this.loaded && this.loaded > this.releaseDate ? this.loaded : this.releaseDate;
  }

  /** Reads the last synchronised time kept by an earlier run. */
  async load(): Promise<void> {
    const { file } = this.options;
    if (!file) return;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log.warn(
          { file, err: (error as Error).message },
          `the last synchronised time in ${file} could not be read; the clock floor is the firmware's release date`,
        );
      }
      return;
    }
    const time = new Date(text.trim());
    if (Number.isNaN(time.getTime())) {
      this.log.warn(
        { file, content: text.slice(0, 64) },
        `${file} does not hold a date; ignored (the clock floor is the firmware's release date until the clock is synchronised)`,
      );
      return;
    }
    this.loaded = time;
  }

  /** Keeps `now`, a wall time seen while the clock was synchronised, for the next start's floor. */
  async record(now: Date): Promise<void> {
    if (this.lastRecorded && now <= this.lastRecorded) return;
    this.lastRecorded = now;
    const { file } = this.options;
    if (!file) return;
    try {
      // Written in place, without a temporary file: a torn write leaves a file that does not parse, which
      // load() ignores (the release date still holds).
      await writeFile(file, `${now.toISOString()}\n`);
      if (this.writeFailing) {
        this.writeFailing = false;
        this.log.info({ file }, 'the last synchronised time is written again');
      }
    } catch (error) {
      if (this.writeFailing) return;
      this.writeFailing = true;
      this.log.warn(
        { file, err: (error as Error).message },
        'the last synchronised time could not be written; it is kept in memory and written again later',
      );
    }
  }
}

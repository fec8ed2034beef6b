import type { Logger } from '@fleet/shared';
import type { Fleet } from './fleet.js';
import type { Tombstones } from './tombstones.js';

/** How often a replica reads the list of forgotten devices again (ms). */
export const TOMBSTONE_REFRESH_MS = 3000;

/**
 * A shared database (DATABASE_URL, or replicas on one SQLite file): reads the list of forgotten devices again
 * every few seconds (one small statement), so that a device forgotten through another replica leaves this
 * one's fleet, and one brought back by a live message that another replica took in is taken in here again.
 * A read rather than PostgreSQL's LISTEN/NOTIFY: the same on both engines, no connection held aside and no
 * notification lost while one is down (the next read sees the list as it is).
 */
export class TombstoneRefresh {
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(
    private readonly deps: {
      tombstones: Pick<Tombstones, 'reload'>;
      fleet: Pick<Fleet, 'forgottenElsewhere'>;
      logger: Logger;
      intervalMs?: number;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.deps.intervalMs ?? TOMBSTONE_REFRESH_MS);
    this.timer.unref();
  }

  /** One read, its changes applied (none while the previous read is under way, or once stopped). */
  async refresh(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const { forgotten } = await this.deps.tombstones.reload();
      if (this.timer) for (const id of forgotten) this.deps.fleet.forgottenElsewhere(id);
    } catch (error) {
      this.deps.logger.warn(
        { err: error },
        'Could not read the list of forgotten devices again; the next run tries',
      );
    } finally {
      this.reading = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

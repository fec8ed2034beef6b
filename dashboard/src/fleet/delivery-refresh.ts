import type { Logger } from '@fleet/shared';
import type { DeliveryFigures } from '../api-types.js';
import type { Fleet } from './fleet.js';

/** How often a replica reads the delivery figures again (ms). */
export const DELIVERY_REFRESH_MS = 5000;

/**
 * Replicas (MQTT_SHARE_GROUP): each stores only the readings the broker hands it, and its delivery figures
 * (received, lost, conflicts) are read when it stores one. This reads every device's figures again from the
 * shared database every few seconds, so that a replica does not show as lost what another replica stored
 * meanwhile (one statement for the whole fleet).
 */
export class DeliveryRefresh {
  private timer: NodeJS.Timeout | null = null;
  private reading = false;

  constructor(
    private readonly deps: {
      fleet: Pick<Fleet, 'refreshDelivery'>;
      /** Every device's figures, from the database the replicas share (SQLite's or PostgreSQL's). */
      read: () => ReadonlyMap<string, DeliveryFigures> | Promise<ReadonlyMap<string, DeliveryFigures>>;
      logger: Logger;
      intervalMs?: number;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.deps.intervalMs ?? DELIVERY_REFRESH_MS);
    this.timer.unref();
  }

  /** One read, its changes announced (none while the previous read is under way, or once stopped). */
  async refresh(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const figures = await this.deps.read();
      if (this.timer) this.deps.fleet.refreshDelivery(figures);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'Could not read the delivery figures again; the next run tries');
    } finally {
      this.reading = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

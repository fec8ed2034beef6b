import type { Clock, Logger } from '@fleet/shared';
import { counted } from '../counted.js';
import type { Fleet } from '../fleet/fleet.js';

const LOG_EVERY_MS = 60_000;

export interface DeviceCapDeps {
  fleet: Pick<Fleet, 'has' | 'size'>;
  /** MAX_DEVICES. */
  maxDevices: number;
  clock: Clock;
  logger: Logger;
}

/**
 * The bound on known devices (MAX_DEVICES). A message of a device the fleet knows is always taken in. A
 * message of a new device is taken in while the fleet plus the new devices waiting for their commit stay
 * under the bound; beyond it, the message is not stored, but it is acknowledged to the broker (a message
 * held unacknowledged would take a place in the broker's in-flight window for good) and counted. The first
 * refusal logs a warning naming MAX_DEVICES, the next ones at most one line a minute with the count.
 * Forgetting a device (DELETE /api/devices/:id) makes room.
 */
export class DeviceCap {
  /** New devices taken in whose messages are not committed yet. */
  private readonly admitted = new Set<string>();
  private refusedTotal = 0;
  private unlogged = 0;
  private lastLogAt: number | null = null;

  constructor(private readonly deps: DeviceCapDeps) {}

  /** Messages of new devices refused so far. */
  get refused(): number {
    return this.refusedTotal;
  }

  admits(deviceId: string): boolean {
    const { fleet, maxDevices } = this.deps;
    if (fleet.has(deviceId) || this.admitted.has(deviceId)) return true;
    if (fleet.size + this.admitted.size < maxDevices) {
      this.admitted.add(deviceId);
      return true;
    }
    this.refuse(deviceId);
    return false;
  }

  /** These devices' messages are committed (they are in the fleet now, or had nothing to add). */
  committed(deviceIds: Iterable<string>): void {
    if (this.admitted.size === 0) return;
    for (const id of deviceIds) this.admitted.delete(id);
  }

  private refuse(deviceId: string): void {
    this.refusedTotal += 1;
    this.unlogged += 1;
    const now = this.deps.clock.now().getTime();
    const { maxDevices, logger } = this.deps;
    if (this.lastLogAt === null) {
      logger.warn(
        { device_id: deviceId, max_devices: maxDevices },
        `MAX_DEVICES (${maxDevices}) is reached: messages of new devices are acknowledged but not stored, and counted; known devices go on. Forget devices (DELETE /api/devices/:id, npm run fleet -- device forget ID) or raise MAX_DEVICES.`,
      );
    } else if (now - this.lastLogAt < LOG_EVERY_MS) {
      return;
    } else {
      logger.warn(
        {
          device_id: deviceId,
          max_devices: maxDevices,
          refused_total: this.refusedTotal,
          refused_since_last_log: this.unlogged,
        },
        `MAX_DEVICES (${maxDevices}) is still reached: ${counted(this.unlogged, 'message')} of new devices not stored since the last line (logged at most once a minute)`,
      );
    }
    this.lastLogAt = now;
    this.unlogged = 0;
  }
}

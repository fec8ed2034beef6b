import type { Logger } from '@fleet/shared';
import type { DeviceRemoval } from '../storage/device-removal.js';

export interface TombstonesDeps {
  store: Pick<DeviceRemoval, 'forgottenDevices' | 'unforget'>;
  logger: Logger;
}

/**
 * The devices forgotten (`DELETE /api/devices/:id`). The broker still holds their retained status and
 * availability and sends them again at every subscription: those are ignored, so a forgotten device does
 * not come back by itself. A live (not retained) message from it brings it back.
 */
export class Tombstones {
  private readonly ids = new Set<string>();

  constructor(private readonly deps: TombstonesDeps) {}

  /** Reads the devices forgotten from the database. */
  load(): void {
    this.ids.clear();
    for (const id of this.deps.store.forgottenDevices()) this.ids.add(id);
  }

  has(deviceId: string): boolean {
    return this.ids.has(deviceId);
  }

  /** The device was forgotten (the store has recorded it). */
  add(deviceId: string): void {
    this.ids.add(deviceId);
  }

  /**
   * Whether a message of `deviceId` is to be taken in: not a retained one of a forgotten device. A live
   * message of a forgotten device is, and the device is no longer forgotten.
   */
  admits(deviceId: string, retained: boolean): boolean {
    if (!this.ids.has(deviceId)) return true;
    if (retained) return false;
    this.ids.delete(deviceId);
    try {
      this.deps.store.unforget(deviceId);
    } catch (error) {
      // Until a later live message clears it, a restart would ignore its retained messages again.
      this.deps.logger.warn(
        { err: error, device_id: deviceId },
        'Could not record that a forgotten device is back',
      );
    }
    this.deps.logger.info({ device_id: deviceId }, 'A forgotten device is back: it sent a live message');
    return true;
  }
}

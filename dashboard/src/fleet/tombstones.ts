import type { Logger } from '@fleet/shared';

/** The list of forgotten devices where it is kept: DeviceRemoval (SQLite) or PgForgottenDevices. */
export interface ForgottenList {
  forgottenDevices(): string[] | Promise<string[]>;
  unforget(deviceId: string): void | Promise<void>;
}

export interface TombstonesDeps {
  store: ForgottenList;
  logger: Logger;
}

/**
 * The devices forgotten (`DELETE /api/devices/:id`). The broker still holds their retained status and
 * availability and sends them again at every subscription: those are ignored, so a forgotten device does
 * not come back by itself. A live (not retained) message from it brings it back. With a shared database the
 * list is read again every few seconds (`reload`, TombstoneRefresh): what another replica forgot or brought
 * back holds here too.
 */
export class Tombstones {
  private readonly ids = new Set<string>();
  /** Devices this dashboard forgot or brought back, by the number of the change: a reload leaves them be. */
  private readonly touched = new Map<string, number>();
  private changes = 0;

  constructor(private readonly deps: TombstonesDeps) {}

  /** Reads the devices forgotten from the database. */
  async load(): Promise<void> {
    const listed = await this.deps.store.forgottenDevices();
    this.ids.clear();
    for (const id of listed) this.ids.add(id);
  }

  /**
   * Reads the list again: the devices newly listed (another replica forgot them) and those no longer listed
   * (one of them sent a live message that another replica took in). A device this dashboard forgot or brought
   * back while the list was read keeps its state here (the read may predate its write).
   */
  async reload(): Promise<{ forgotten: string[]; back: string[] }> {
    const since = this.changes;
    const listed = new Set(await this.deps.store.forgottenDevices());
    const settled = (id: string) => (this.touched.get(id) ?? 0) <= since;
    const forgotten = [...listed].filter((id) => !this.ids.has(id) && settled(id));
    const back = [...this.ids].filter((id) => !listed.has(id) && settled(id));
    for (const id of forgotten) this.ids.add(id);
    for (const id of back) this.ids.delete(id);
    // Older changes are in every later read: no longer needed.
    for (const [id, change] of this.touched) if (change <= since) this.touched.delete(id);
    return { forgotten, back };
  }

  has(deviceId: string): boolean {
    return this.ids.has(deviceId);
  }

  /** The device was forgotten (the store records it; `written` once it has). */
  add(deviceId: string): void {
    this.ids.add(deviceId);
    this.touch(deviceId);
  }

  /** The store has what this dashboard changed of the device: a read started before may not have it. */
  written(deviceId: string): void {
    this.touch(deviceId);
  }

  /**
   * Whether a message of `deviceId` is to be taken in: not a retained one of a forgotten device. A live
   * message of a forgotten device is, and the device is no longer forgotten.
   */
  admits(deviceId: string, retained: boolean): boolean {
    if (!this.ids.has(deviceId)) return true;
    if (retained) return false;
    this.ids.delete(deviceId);
    this.touch(deviceId);
    const failed = (error: unknown) =>
      // Until a later live message clears it, a restart would ignore its retained messages again.
      this.deps.logger.warn(
        { err: error, device_id: deviceId },
        'Could not record that a forgotten device is back',
      );
    try {
      const removed = this.deps.store.unforget(deviceId);
      if (removed instanceof Promise) removed.then(() => this.written(deviceId), failed);
    } catch (error) {
      failed(error);
    }
    this.deps.logger.info({ device_id: deviceId }, 'A forgotten device is back: it sent a live message');
    return true;
  }

  private touch(deviceId: string): void {
    this.changes += 1;
    this.touched.set(deviceId, this.changes);
  }
}

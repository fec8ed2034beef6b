import type { Ack, DeviceSummary, FleetRow } from './types.js';

export type WatchedListener = () => void;

/**
 * The device the page shows in full: its summary as the server sends it (the `device` event of the stream
 * that watches it, which follows each of its telemetry, status and ack events). The page receives this
 * state; it does not recompute it. Until the summary comes, a provisional one is made from the device's
 * fleet row, so that its name, presence and last time seen show at once.
 */
export class WatchedDevice {
  private current: DeviceSummary | null = null;
  private provisional = false;
  private readonly listeners = new Set<WatchedListener>();

  get summary(): DeviceSummary | null {
    return this.current;
  }

  /** True until the server's summary of the watched device came. */
  get waiting(): boolean {
    return this.provisional;
  }

  get deviceId(): string | null {
    return this.current?.device_id ?? null;
  }

  subscribe(listener: WatchedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Watches another device (or none): what was known of the previous one is dropped. */
  watch(deviceId: string | null, row: FleetRow | undefined): void {
    if (deviceId === this.deviceId && !this.provisional) return;
    this.current = deviceId === null ? null : provisionalSummary(deviceId, row);
    this.provisional = deviceId !== null;
    this.emit();
  }

  /** The server's summary: taken when it is the watched device's. */
  set(summary: DeviceSummary): void {
    if (summary.device_id !== this.deviceId) return;
    this.current = summary;
    this.provisional = false;
    this.emit();
  }

  /** The ack a command's answer carried, before the stream's `device` event says the same. */
  applyAck(ack: Ack): void {
    const current = this.current;
    if (!current || ack.device_id !== current.device_id) return;
    this.current = { ...current, settings: ack.settings, firmware: ack.firmware };
    this.emit();
  }

  clear(): void {
    this.watch(null, undefined);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

function provisionalSummary(deviceId: string, row: FleetRow | undefined): DeviceSummary {
  return {
    device_id: deviceId,
    online: row?.online ?? false,
    last_seen: row?.last_seen ?? null,
    firmware: row?.firmware ?? null,
    settings: null,
    ota: null,
    sensor: null,
    alerte: row?.alerte ?? false,
    latest: null,
    delivery: { received: 0, lost: row?.lost ?? 0, conflicts: 0 },
    epoch: null,
    epoch_reason: null,
    clock_synced: null,
  };
}

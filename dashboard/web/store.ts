import type { Ack, DeviceSummary, FleetRow } from './types.js';

export type WatchedListener = () => void;

/**
 * How long the settings of an ack a command's answer carried win over the stream's summaries that disagree.
 * The answer and the stream come over two connections: a summary the server sent before the ack may still be
 * read after the answer, and would show the old settings for a moment.
 */
export const ACK_HOLD_MS = 5_000;

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
  /** The ack applied last, kept until a summary agrees with it or ACK_HOLD_MS have passed. */
  private held: { ack: Ack; until: number } | null = null;

  constructor(private readonly now: () => number) {}

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
    this.held = null;
    this.emit();
  }

  /** The server's summary: taken when it is the watched device's. */
  set(summary: DeviceSummary): void {
    if (summary.device_id !== this.deviceId) return;
    this.current = this.withHeldAck(summary);
    this.provisional = false;
    this.emit();
  }

  /** The ack a command's answer carried, before the stream's `device` event says the same. */
  applyAck(ack: Ack): void {
    const current = this.current;
    if (!current || ack.device_id !== current.device_id) return;
    this.current = withAck(current, ack);
    this.held = { ack, until: this.now() + ACK_HOLD_MS };
    this.emit();
  }

  /** The summary, with the held ack's settings while it disagrees with them (an event older than the ack). */
  private withHeldAck(summary: DeviceSummary): DeviceSummary {
    const held = this.held;
    if (!held || this.now() > held.until || sameSettings(summary, held.ack)) {
      this.held = null;
      return summary;
    }
    return withAck(summary, held.ack);
  }

  clear(): void {
    this.watch(null, undefined);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** A device's summary with the settings and firmware an ack reports. */
export function withAck(summary: DeviceSummary, ack: Ack): DeviceSummary {
  return { ...summary, settings: ack.settings, firmware: ack.firmware };
}

function sameSettings(summary: DeviceSummary, ack: Ack): boolean {
  const settings = summary.settings;
  if (!settings || summary.firmware !== ack.firmware) return false;
  return Object.entries(ack.settings).every(
    ([key, value]) => settings[key as keyof typeof settings] === value,
  );
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

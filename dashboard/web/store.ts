import type { Ack, DeviceStatus, DeviceSummary, StoredReading } from './types.js';

export type StoreListener = (deviceId: string | null) => void;

function blankSummary(deviceId: string): DeviceSummary {
  return {
    device_id: deviceId,
    online: false,
    last_seen: null,
    firmware: null,
    settings: null,
    ota: null,
    sensor: null,
    alerte: false,
    latest: null,
    delivery: { received: 0, lost: 0, conflicts: 0 },
    epoch: null,
    epoch_reason: null,
    clock_synced: null,
  };
}

function later(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/**
 * What the page knows about every device: the server's summaries, kept current by the live events.
 * Listeners hear the id of the device that changed, or null when the whole list was replaced.
 *
 * The server follows every telemetry, status and ack event with the device's new summary (a `device`
 * event), which replaces what the store made of them: the store only fills the moment in between, and
 * never from a device's own clock (last seen and the delivery figures come from the server).
 */
export class DeviceStore {
  private readonly devices = new Map<string, DeviceSummary>();
  private readonly listeners = new Set<StoreListener>();
  private loaded = false;
  /**
   * The summaries that came as events while a fetch of the list was under way. The list the server answers
   * may be older than an event the page already has (two connections, no order between them): the events
   * are applied again over it, so that an older list never hides a newer figure.
   */
  private sinceLoad: DeviceSummary[] | null = null;
  private loading = 0;

  /** True once the list has been fetched at least once (before that, "no devices" means "not known yet"). */
  get isLoaded(): boolean {
    return this.loaded;
  }

  list(): DeviceSummary[] {
    return [...this.devices.values()].sort((a, b) => a.device_id.localeCompare(b.device_id));
  }

  get(deviceId: string): DeviceSummary | undefined {
    return this.devices.get(deviceId);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A fetch of the whole list starts: keep the events that come meanwhile (see `replaceAll`). */
  beginLoad(): void {
    this.loading += 1;
    this.sinceLoad ??= [];
  }

  /** A fetch begun with `beginLoad` failed. */
  abortLoad(): void {
    this.endLoad();
  }

  /** The list as the server answered a fetch begun with `beginLoad`; the events since are applied over it. */
  replaceAll(summaries: DeviceSummary[]): void {
    this.devices.clear();
    for (const summary of summaries) this.devices.set(summary.device_id, summary);
    for (const summary of this.sinceLoad ?? []) this.devices.set(summary.device_id, summary);
    this.endLoad();
    this.loaded = true;
    this.emit(null);
  }

  /** Forgets every device, back to "not loaded yet" (when the session ends). */
  clear(): void {
    this.devices.clear();
    this.loaded = false;
    this.emit(null);
  }

  private endLoad(): void {
    this.loading = Math.max(0, this.loading - 1);
    if (this.loading === 0) this.sinceLoad = null;
  }

  upsert(summary: DeviceSummary): void {
    this.devices.set(summary.device_id, summary);
    this.sinceLoad?.push(summary);
    this.emit(summary.device_id);
  }

  /** A stored reading becomes the latest one when it is filed under a time at least as late. */
  applyTelemetry(reading: StoredReading): void {
    const current = this.devices.get(reading.device_id) ?? blankSummary(reading.device_id);
    const isNewer =
      !current.latest || Date.parse(reading.trusted_at) >= Date.parse(current.latest.trusted_at);
    this.devices.set(reading.device_id, {
      ...current,
      online: true,
      last_seen: later(current.last_seen, reading.received_at),
      latest: isNewer ? reading : current.latest,
      alerte: isNewer ? reading.alerte : current.alerte,
      firmware: isNewer ? reading.firmware : current.firmware,
      settings: current.settings && isNewer ? { ...current.settings, mode: reading.mode } : current.settings,
    });
    this.emit(reading.device_id);
  }

  /**
   * A status of contract 2 says nothing of presence (the availability topic does, through the server's
   * `device` event): a retained one arrives while the device is offline. One of contract 1 (no `v`) does.
   */
  applyStatus(status: DeviceStatus): void {
    const current = this.devices.get(status.device_id) ?? blankSummary(status.device_id);
    if (!status.online) {
      this.devices.set(status.device_id, { ...current, online: false });
    } else {
      const { mode, intervalle, seuil_alerte, actif } = status;
      this.devices.set(status.device_id, {
        ...current,
        online: status.v === undefined || status.v < 2 ? true : current.online,
        firmware: status.firmware,
        settings: { mode, intervalle, seuil_alerte, actif },
        sensor: status.sensor,
        ota: status.ota,
        alerte: status.alerte,
        epoch: status.epoch ?? null,
        epoch_reason: status.epoch_reason ?? null,
        clock_synced: status.clock_synced ?? null,
      });
    }
    this.emit(status.device_id);
  }

  applyAck(ack: Ack): void {
    const current = this.devices.get(ack.device_id);
    if (!current) return;
    this.devices.set(ack.device_id, { ...current, settings: ack.settings, firmware: ack.firmware });
    this.emit(ack.device_id);
  }

  private emit(deviceId: string | null): void {
    for (const listener of this.listeners) listener(deviceId);
  }
}

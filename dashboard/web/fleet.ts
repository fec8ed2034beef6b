import { showDelivery } from './delivery.js';
import { h, setText } from './dom.js';
import { fullTime, relativeTime } from './format.js';
import type { DeviceSummary } from './types.js';

/**
 * The list of devices to pick from: presence, last seen (relative, refreshed by `tick`), readings received
 * and lost, firmware and alert. Rows are buttons, so the list works with Tab and Enter.
 */
export class FleetList {
  private selected: string | null = null;
  private devices: DeviceSummary[] = [];
  private shownKey = '';

  constructor(
    private readonly doc: Document,
    private readonly list: HTMLElement,
    private readonly summary: HTMLElement,
    private readonly onPick: (deviceId: string) => void,
    private readonly now: () => number,
  ) {}

  start(): void {
    this.list.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-device-id]');
      const id = button?.dataset.deviceId;
      if (id) this.onPick(id);
    });
  }

  render(devices: DeviceSummary[], selected: string | null): void {
    this.devices = devices;
    this.selected = selected;
    // Readings arrive every second; rebuild the rows only when what they show has changed, and update
    // the delivery figures in place.
    const key = JSON.stringify([selected, devices.map((device) => this.rowKey(device))]);
    if (key !== this.shownKey) {
      this.shownKey = key;
      const focusedId = (this.doc.activeElement as HTMLElement | null)?.dataset?.deviceId;
      this.list.replaceChildren(...devices.map((device) => this.row(device)));
      if (focusedId) this.rowOf(focusedId)?.focus();
    }
    for (const device of devices) {
      const figure = this.rowOf(device.device_id)?.querySelector<HTMLElement>('.device-delivery');
      if (figure) showDelivery(this.doc, figure, device.delivery);
    }
    const online = devices.filter((device) => device.online).length;
    const alerts = devices.filter((device) => device.alerte && device.online).length;
    const losing = devices.filter((device) => device.delivery.lost > 0).length;
    const parts = [`${devices.length} device${devices.length === 1 ? '' : 's'}`, `${online} online`];
    if (alerts > 0) parts.push(`${alerts} in alert`);
    if (losing > 0) parts.push(`${losing} with lost readings`);
    setText(this.summary, devices.length === 0 ? 'No devices yet' : parts.join(' · '));
  }

  /** Refreshes the "last seen" times. */
  tick(): void {
    for (const device of this.devices) {
      const row = this.rowOf(device.device_id);
      const seen = row?.querySelector('.device-seen');
      if (!row || !seen) continue;
      setText(seen, this.seenText(device));
      row.title = `Last seen ${fullTime(device.last_seen)}`;
    }
  }

  private rowOf(deviceId: string): HTMLElement | null {
    return this.list.querySelector<HTMLElement>(`[data-device-id="${CSS.escape(deviceId)}"]`);
  }

  private rowKey(device: DeviceSummary): unknown[] {
    return [device.device_id, device.online, device.firmware, device.alerte, device.ota?.state ?? null];
  }

  private seenText(device: DeviceSummary): string {
    const seen = relativeTime(device.last_seen, this.now());
    return device.online ? `Online · ${seen}` : `Offline · last seen ${seen}`;
  }

  private row(device: DeviceSummary): HTMLElement {
    const d = this.doc;
    const chips: HTMLElement[] = [];
    if (device.firmware) chips.push(h(d, 'span', { class: 'chip' }, device.firmware));
    if (device.alerte && device.online) chips.push(h(d, 'span', { class: 'chip chip-alert' }, 'Alert'));
    if (device.ota && ['downloading', 'verifying', 'installing', 'rebooting'].includes(device.ota.state)) {
      chips.push(h(d, 'span', { class: 'chip chip-info' }, 'Updating'));
    }
    const button = h(
      d,
      'button',
      {
        type: 'button',
        class: 'device-item',
        'data-device-id': device.device_id,
        'data-online': String(device.online),
        'aria-current': device.device_id === this.selected ? 'true' : null,
        title: `Last seen ${fullTime(device.last_seen)}`,
      },
      h(d, 'span', { class: 'presence-dot', 'aria-hidden': 'true' }),
      h(
        d,
        'span',
        { class: 'device-text' },
        h(d, 'span', { class: 'device-name' }, device.device_id),
        h(d, 'span', { class: 'device-seen' }, this.seenText(device)),
        h(d, 'span', { class: 'device-delivery delivery' }),
      ),
      h(d, 'span', { class: 'device-chips' }, ...chips),
    );
    return h(d, 'li', {}, button);
  }
}

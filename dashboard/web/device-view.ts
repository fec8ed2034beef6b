import { byId, setText } from './dom.js';
import { fullTime, modeLabel, relativeTime, sensorLabel, uptimeLabel } from './format.js';
import { ReadingTrust } from './reading-trust.js';
import type { DeviceSummary } from './types.js';
import { formatMeasure, type UnitChoice } from './units.js';

/**
 * The selected device's heading: presence, facts (firmware, mode, interval, uptime, last seen, latest
 * reading, readings received and lost), sensor health, notes on how far its readings can be trusted, and
 * the alert and offline banners.
 */
export class DeviceHeader {
  private readonly title: HTMLElement;
  private readonly presence: HTMLElement;
  private readonly firmware: HTMLElement;
  private readonly mode: HTMLElement;
  private readonly interval: HTMLElement;
  private readonly uptime: HTMLElement;
  private readonly lastSeen: HTMLElement;
  private readonly sensor: HTMLElement;
  private readonly sensorText: HTMLElement;
  private readonly alertBanner: HTMLElement;
  private readonly alertText: HTMLElement;
  private readonly offlineBanner: HTMLElement;
  private readonly offlineText: HTMLElement;
  private readonly pausedBanner: HTMLElement;
  private readonly trust: ReadingTrust;
  private device: DeviceSummary | null = null;

  constructor(
    doc: Document,
    private readonly now: () => number,
    private readonly units: () => UnitChoice,
  ) {
    this.title = byId(doc, 'device-title');
    this.presence = byId(doc, 'device-presence');
    this.firmware = byId(doc, 'fact-firmware');
    this.mode = byId(doc, 'fact-mode');
    this.interval = byId(doc, 'fact-interval');
    this.uptime = byId(doc, 'fact-uptime');
    this.lastSeen = byId(doc, 'fact-last-seen');
    this.sensor = byId(doc, 'sensor-health');
    this.sensorText = byId(doc, 'sensor-health-text');
    this.alertBanner = byId(doc, 'alert-banner');
    this.alertText = byId(doc, 'alert-text');
    this.offlineBanner = byId(doc, 'offline-banner');
    this.offlineText = byId(doc, 'offline-text');
    this.pausedBanner = byId(doc, 'paused-banner');
    this.trust = new ReadingTrust(doc, now);
  }

  show(device: DeviceSummary): void {
    this.device = device;
    setText(this.title, device.device_id);
    this.presence.dataset.online = String(device.online);
    setText(this.presence, device.online ? 'Online' : 'Offline');
    setText(this.firmware, device.firmware ?? '—');
    const settings = device.settings;
    setText(
      this.mode,
      settings ? modeLabel(settings.mode) : device.latest ? modeLabel(device.latest.mode) : '—',
    );
    setText(this.interval, settings ? `${settings.intervalle} s` : '—');
    setText(this.uptime, device.latest ? uptimeLabel(device.latest.uptime) : '—');
    this.lastSeen.title = fullTime(device.last_seen);
    this.trust.show(device);

    const sensor = device.sensor;
    if (sensor) {
      this.sensor.hidden = false;
      this.sensor.dataset.healthy = String(sensor.healthy);
      setText(
        this.sensorText,
        sensor.healthy
          ? `${sensorLabel(sensor)} · healthy`
          : `${sensorLabel(sensor)} · fault: ${sensor.error ?? 'no reason given'}`,
      );
    } else {
      this.sensor.hidden = true;
    }

    const alert = device.alerte && device.online;
    this.alertBanner.hidden = !alert;
    if (alert) {
      const units = this.units();
      const temperature = device.latest
        ? formatMeasure(units, 'temperature', device.latest.temperature)
        : 'The temperature';
      const threshold = settings
        ? ` the ${formatMeasure(units, 'temperature', settings.seuil_alerte)} threshold`
        : ' its threshold';
      setText(this.alertText, `${temperature} is above${threshold}.`);
    }
    this.offlineBanner.hidden = device.online;
    this.pausedBanner.hidden = !device.online || settings?.actif !== false;
    this.tick();
  }

  /** Refreshes the relative times. */
  tick(): void {
    const device = this.device;
    if (!device) return;
    const seen = relativeTime(device.last_seen, this.now());
    setText(this.lastSeen, seen);
    this.trust.tick();
    if (!device.online) {
      setText(
        this.offlineText,
        `Last seen ${seen}. The values below are the last ones received; commands can be sent when it reconnects.`,
      );
    }
  }
}

import type { ApiClient } from './api.js';
import { HistoryCharts } from './charts.js';
import { CommandHistory } from './command-history.js';
import { ConnectionIndicator } from './connection.js';
import { ControlPanel } from './controls.js';
import { DeviceHeader } from './device-view.js';
import { byId, setText } from './dom.js';
import { FleetList } from './fleet.js';
import { GaugePanel } from './gauges.js';
import { HistoryPanel } from './history.js';
import { OtaPanel } from './ota.js';
import type { Permission } from './permission.js';
import { HashSelection } from './selection.js';
import { LiveEvents } from './sse.js';
import { DeviceStore } from './store.js';
import type { DeviceSummary } from './types.js';

const RETRY_DEVICES_MS = 5000;
const BROKER_CHECK_MS = 5000;

/**
 * The dashboard behind the login: fetches the fleet, listens to live events, and keeps every panel in step.
 * `start` runs it for a session and `stop` ends that (stream closed, timers cleared, data forgotten); the
 * panels' listeners are attached once, at the first start.
 */
export class DashboardPage {
  private readonly now = () => Date.now();
  private readonly store = new DeviceStore();
  private readonly selection: HashSelection;
  private readonly fleet: FleetList;
  private readonly header: DeviceHeader;
  private readonly gauges: GaugePanel;
  private readonly charts: HistoryCharts;
  private readonly history: HistoryPanel;
  private readonly controls: ControlPanel;
  private readonly ota: OtaPanel;
  private readonly commands: CommandHistory;
  private readonly connection: ConnectionIndicator;
  private readonly live: LiveEvents;
  private selected: string | null;
  private loadError: string | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private frame: number | null = null;
  private intervals: number[] = [];
  private mounted = false;
  private running = false;

  /** `onStreamRefused`: the server refused the event stream (the session may have ended). */
  constructor(
    private readonly doc: Document,
    private readonly win: Window,
    private readonly api: ApiClient,
    onStreamRefused: () => void,
  ) {
    this.selection = new HashSelection(win.location, win.history);
    this.selected = this.selection.read();
    this.fleet = new FleetList(
      doc,
      byId(doc, 'fleet-list'),
      byId(doc, 'fleet-summary'),
      (id) => this.pick(id),
      this.now,
    );
    this.header = new DeviceHeader(doc, this.now);
    this.gauges = new GaugePanel(doc, byId(doc, 'gauges'));
    this.charts = new HistoryCharts(doc, byId(doc, 'charts'));
    this.history = new HistoryPanel(
      this.api,
      this.charts,
      byId(doc, 'range'),
      byId(doc, 'history-status'),
      this.now,
    );
    const applyAck = this.store.applyAck.bind(this.store);
    this.controls = new ControlPanel(doc, this.api, applyAck);
    this.ota = new OtaPanel(doc, this.api, applyAck, this.now);
    this.commands = new CommandHistory(
      doc,
      this.api,
      {
        list: byId(doc, 'command-list'),
        empty: byId(doc, 'commands-empty'),
        status: byId(doc, 'commands-status'),
      },
      this.now,
    );
    this.connection = new ConnectionIndicator(doc, this.now);
    this.live = new LiveEvents('/api/events', {
      telemetry: (reading) => {
        this.store.applyTelemetry(reading);
        this.history.onTelemetry(reading);
      },
      status: (status) => this.store.applyStatus(status),
      ack: (ack) => this.store.applyAck(ack),
      device: (device) => this.store.upsert(device),
      command: (entry) => this.commands.onCommand(entry),
      connection: (state) => this.connection.show(state),
      // Once the stream is open, every change after the list's answer comes as an event: fetch it again
      // then (also the first time), as what changed between the first fetch and the stream's opening
      // would otherwise wait for the device's next event.
      opened: () => void this.loadDevices(),
      reconnected: () => {
        void this.checkBroker();
        this.history.reload();
        this.commands.reload();
      },
      gaveUp: onStreamRefused,
    });
  }

  /** Runs the dashboard for a session with `permission`; again after `stop`, for the next session. */
  start(permission: Permission): void {
    this.mount();
    this.setPermission(permission);
    if (this.running) return;
    this.running = true;
    this.loadError = null;
    this.live.start();
    void this.loadDevices();
    void this.checkBroker();
    this.intervals = [
      this.win.setInterval(() => this.tick(), 1000),
      this.win.setInterval(() => void this.checkBroker(), BROKER_CHECK_MS),
    ];
    this.render();
  }

  /** The role may change while the page is open (the server says so with a 403). */
  setPermission(permission: Permission): void {
    this.controls.setPermission(permission);
    this.ota.setPermission(permission);
  }

  /** Ends the session's view: no stream, no timers, nothing of the fleet left on the page. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.live.close();
    for (const id of this.intervals) this.win.clearInterval(id);
    this.intervals = [];
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.frame !== null) this.win.cancelAnimationFrame(this.frame);
    this.frame = null;
    this.loadError = null;
    this.store.clear();
    this.commands.clear();
    this.render();
  }

  /** Before a session is known: the server cannot be reached to ask who is there. */
  showUnreachable(reason: string): void {
    if (this.running) return;
    this.loadError = reason;
    this.render();
  }

  private mount(): void {
    if (this.mounted) return;
    this.mounted = true;
    this.fleet.start();
    this.charts.start();
    this.history.start();
    this.controls.start();
    this.ota.start();
    this.store.subscribe(() => {
      if (this.running) this.scheduleRender();
    });
    this.win.addEventListener('hashchange', () => {
      const id = this.selection.read();
      if (this.running && id && id !== this.selected) this.pick(id);
    });
  }

  private async loadDevices(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.store.beginLoad();
    try {
      const devices = await this.api.devices();
      if (!this.running) {
        this.store.abortLoad();
        return;
      }
      this.store.replaceAll(devices);
      this.loadError = null;
    } catch (error) {
      this.store.abortLoad();
      if (!this.running) return;
      this.loadError = (error as Error).message;
      this.render();
      this.retryTimer = setTimeout(() => void this.loadDevices(), RETRY_DEVICES_MS);
    }
  }

  /** Renders at the next frame: a burst of events costs one render. */
  private scheduleRender(): void {
    if (this.frame !== null) return;
    this.frame = this.win.requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  private async checkBroker(): Promise<void> {
    const connected = await this.api.brokerConnected();
    if (this.running) this.connection.showBroker(connected);
  }

  private pick(deviceId: string): void {
    this.selected = deviceId;
    this.selection.write(deviceId, true);
    this.render();
  }

  /** The device to show: the chosen one if known, else the first online one, else the first. */
  private chooseDevice(devices: DeviceSummary[]): DeviceSummary | null {
    const chosen = devices.find((device) => device.device_id === this.selected);
    if (chosen || !this.store.isLoaded) return chosen ?? null;
    const fallback = devices.find((device) => device.online) ?? devices[0] ?? null;
    if (fallback) {
      this.selected = fallback.device_id;
      this.selection.write(fallback.device_id, false);
    }
    return fallback;
  }

  private render(): void {
    const devices = this.store.list();
    const device = this.chooseDevice(devices);
    this.fleet.render(devices, device?.device_id ?? null);
    const view = byId(this.doc, 'device-view');
    const empty = byId(this.doc, 'empty-state');
    view.hidden = !device;
    empty.hidden = Boolean(device);
    if (!device) {
      this.renderEmpty();
      this.history.select(null);
      this.commands.select(null);
      this.doc.title = 'Sensor Fleet';
      return;
    }
    view.dataset.online = String(device.online);
    this.header.show(device);
    this.gauges.update(device);
    this.controls.show(device);
    this.ota.show(device);
    this.charts.setThreshold(device.settings?.seuil_alerte ?? null);
    this.history.select(device.device_id);
    this.commands.select(device.device_id);
    this.doc.title = `${device.alerte && device.online ? '⚠ ' : ''}${device.device_id} · Sensor Fleet`;
  }

  private renderEmpty(): void {
    const title = byId(this.doc, 'empty-title');
    const hint = byId(this.doc, 'empty-hint');
    const state = byId(this.doc, 'empty-state');
    if (this.loadError) {
      state.dataset.kind = 'error';
      setText(title, 'The dashboard server cannot be reached');
      setText(hint, `Retrying every few seconds (${this.loadError}).`);
    } else if (!this.store.isLoaded) {
      state.dataset.kind = 'loading';
      setText(title, 'Loading the fleet…');
      setText(hint, '');
    } else {
      state.dataset.kind = 'waiting';
      setText(title, 'Waiting for devices…');
      setText(
        hint,
        'A device appears here as soon as it connects to the MQTT broker. Check that it is powered, ' +
          'online, and that its MQTT_BROKER setting points to this broker.',
      );
    }
  }

  private tick(): void {
    this.fleet.tick();
    this.header.tick();
    this.ota.tick();
    this.history.tick();
    this.connection.tick();
    this.commands.tick();
  }
}

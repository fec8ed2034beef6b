import type { ApiClient } from './api.js';
import { ConnectionIndicator } from './connection.js';
import { DevicePanels } from './device-panels.js';
import { byId } from './dom.js';
import { EmptyState } from './empty-state.js';
import { FleetPanel } from './fleet-panel.js';
import { ForgetDevice } from './forget.js';
import type { HttpClient } from './http.js';
import { PageViews } from './page-views.js';
import type { Permission } from './permission.js';
import { HashSelection } from './selection.js';
import { LiveEvents } from './sse.js';
import { WatchedDevice } from './store.js';
import { DEVICE_ID_PATTERN, type FleetEventData } from './types.js';
import type { UnitPreference } from './unit-preference.js';
import type { UnitChoice } from './units.js';
import { ViewScroll } from './view-scroll.js';

const BROKER_CHECK_MS = 5000;
const OVERVIEW_TITLE = 'Fleet overview · Sensor Fleet';

/**
 * The dashboard behind the login: one event stream brings the fleet (its `fleet` events) and the selected
 * device (its own events); every panel is kept in step. Selecting another device opens the stream again,
 * watching it. `start` runs it for a session and `stop` ends that (stream closed, timers cleared, data
 * forgotten); the panels' listeners are attached once, at the first start.
 */
export class DashboardPage {
  private readonly watched: WatchedDevice;
  private readonly selection: HashSelection;
  private readonly fleet: FleetPanel;
  private readonly views: PageViews;
  private readonly scroll: ViewScroll;
  private readonly forget: ForgetDevice;
  private readonly panels: DevicePanels;
  private readonly connection: ConnectionIndicator;
  private readonly empty: EmptyState;
  private readonly live: LiveEvents;
  private selected: string | null;
  private loadError: string | null = null;
  private frame: number | null = null;
  private intervals: number[] = [];
  private mounted = false;
  private running = false;

  /**
   * `http` forgets devices; `units`: the user's units, in which readings are shown; `onStreamRefused`: the
   * server refused the event stream (the session may have ended); `now`: the server's clock (ServerClock).
   */
  constructor(
    private readonly doc: Document,
    private readonly win: Window,
    private readonly api: ApiClient,
    http: HttpClient,
    private readonly units: UnitPreference,
    onStreamRefused: () => void,
    private readonly now: () => number,
  ) {
    this.watched = new WatchedDevice(now);
    this.selection = new HashSelection(win.location, win.history);
    this.selected = this.hashDevice();
    const unitChoice = () => units.choice;
    this.fleet = new FleetPanel(doc, win, (id) => this.pick(id), this.now, unitChoice);
    this.views = new PageViews(
      doc,
      win,
      this.selection,
      this.fleet,
      unitChoice,
      (id) => this.pick(id),
      this.now,
    );
    this.scroll = new ViewScroll(win);
    this.forget = new ForgetDevice(doc, http, (id) => this.forgotten(id));
    this.panels = new DevicePanels(doc, api, this.watched, this.now, unitChoice);
    this.connection = new ConnectionIndicator(doc, this.now);
    this.empty = new EmptyState(doc);
    // The server follows each telemetry, status and ack of the watched device with its summary (`device`).
    this.live = new LiveEvents({
      fleet: (event) => this.onFleet(event),
      telemetry: (reading) => {
        if (reading.device_id === this.watched.deviceId) this.panels.onTelemetry(reading);
      },
      device: (device) => {
        this.watched.set(device);
        this.fleet.follow(device);
      },
      command: (entry) => this.panels.onCommand(entry),
      forgotten: ({ device_id }) => this.forgotten(device_id),
      connection: (state) => this.connection.show(state),
      opened: (how) => {
        if (how === 'reconnected') void this.checkBroker();
        this.panels.reload();
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
    this.views.readHash();
    this.selected = this.hashDevice();
    this.watched.watch(this.selected, undefined);
    this.live.start(this.selected);
    if (this.selected !== null) this.fleet.reveal(this.selected);
    void this.checkBroker();
    this.intervals = [
      this.win.setInterval(() => this.tick(), 1000),
      this.win.setInterval(() => void this.checkBroker(), BROKER_CHECK_MS),
    ];
    this.render();
  }

  /** The role may change while the page is open (the server says so with a 403). */
  setPermission(permission: Permission): void {
    this.panels.setPermission(permission);
    this.forget.setPermission(permission);
  }

  /** Ends the session's view: no stream, no timers, nothing of the fleet left on the page. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.live.close();
    for (const id of this.intervals) this.win.clearInterval(id);
    this.intervals = [];
    if (this.frame !== null) this.win.cancelAnimationFrame(this.frame);
    this.frame = null;
    this.loadError = null;
    this.fleet.clear();
    this.watched.clear();
    this.forget.close();
    this.panels.clear();
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
    this.scroll.start();
    this.fleet.start();
    this.forget.start();
    this.panels.start();
    this.watched.subscribe(() => {
      if (this.running) this.scheduleRender();
    });
    const showUnits = (choice: UnitChoice) => {
      this.panels.setUnits(choice);
      this.fleet.repaint();
      if (this.running) this.scheduleRender();
    };
    this.units.subscribe(showUnits);
    showUnits(this.units.choice);
    this.win.addEventListener('hashchange', () => {
      if (!this.running) return;
      const viewChanged = this.views.readHash();
      const id = this.hashDevice();
      if (this.views.view === 'device' && id && id !== this.selected) this.pick(id);
      else if (viewChanged) this.render();
    });
  }

  /** The device named in the URL, when it is a valid id (a stream for an invalid one would be refused). */
  private hashDevice(): string | null {
    const id = this.selection.read();
    return id !== null && DEVICE_ID_PATTERN.test(id) ? id : null;
  }

  private onFleet(event: FleetEventData): void {
    this.fleet.apply(event);
    // A device still waiting for its summary shows its row meanwhile: the row may have come only now.
    const waitingFor = this.watched.waiting ? this.watched.deviceId : null;
    if (waitingFor !== null) this.watched.watch(waitingFor, this.fleet.model.row(waitingFor));
    this.loadError = null;
    this.scheduleRender();
  }

  /** The server forgot a device (this page did, or another one): another device is shown if it was this one. */
  private forgotten(deviceId: string): void {
    this.fleet.remove(deviceId);
    if (deviceId === this.selected) {
      this.selected = null;
      this.watched.watch(null, undefined);
    }
    this.scheduleRender();
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

  /** A device picked (in the fleet list, or the overview): the device view shows it. */
  private pick(deviceId: string): void {
    this.views.toDevice();
    this.show(deviceId, true);
    this.render();
  }

  /** Shows `deviceId`: the URL says so (in the device view), and the stream watches it. */
  private show(deviceId: string, addHistoryEntry: boolean): void {
    this.selected = deviceId;
    if (this.views.view === 'device') this.selection.write(deviceId, addHistoryEntry);
    this.watched.watch(deviceId, this.fleet.model.row(deviceId));
    this.live.watch(deviceId);
    this.fleet.reveal(deviceId);
  }

  /**
   * The device to show: the chosen one if the fleet has it, else the first online one, else the first. Until
   * the fleet is known, the chosen one (from the URL) is shown on trust.
   */
  private chooseDevice(): string | null {
    const model = this.fleet.model;
    if (!model.loaded) return this.selected;
    if (this.selected !== null && model.row(this.selected)) return this.selected;
    const fallback = model.firstChoice();
    if (fallback !== null) this.show(fallback, false);
    else if (this.selected !== null) {
      this.selected = null;
      this.watched.watch(null, undefined);
      this.live.watch(null);
    }
    return fallback;
  }

  /** Draws the page; a view switched to gets its own scroll position back (ViewScroll). */
  private render(): void {
    const leftAt = this.win.scrollY;
    const chosen = this.draw();
    const overview = this.views.view === 'overview';
    this.scroll.drawn({ view: this.views.view, device: overview ? null : chosen }, leftAt);
  }

  /** Draws the page for the device chosen, which it returns. */
  private draw(): string | null {
    const chosen = this.chooseDevice();
    this.fleet.render(chosen);
    this.views.render(chosen);
    this.forget.show(chosen);
    // Nothing is shown of a device known neither by its summary nor by its fleet row (the URL's, at first).
    const known = chosen !== null && (!this.watched.waiting || this.fleet.model.row(chosen) !== undefined);
    const device = known ? this.watched.summary : null;
    const view = byId(this.doc, 'device-view');
    const overview = this.views.view === 'overview';
    view.hidden = !device || overview;
    byId(this.doc, 'empty-state').hidden = Boolean(device) || overview;
    if (!device) {
      this.empty.show(
        this.loadError
          ? { kind: 'error', detail: this.loadError }
          : { kind: this.fleet.model.loaded ? 'waiting' : 'loading' },
      );
      this.panels.show(null);
      this.doc.title = overview ? OVERVIEW_TITLE : 'Sensor Fleet';
      return chosen;
    }
    view.dataset.online = String(device.online);
    view.setAttribute('aria-busy', String(this.watched.waiting));
    this.panels.show(device);
    this.doc.title = overview
      ? OVERVIEW_TITLE
      : `${device.alerte && device.online ? '⚠ ' : ''}${device.device_id} · Sensor Fleet`;
    return chosen;
  }

  private tick(): void {
    this.fleet.tick();
    this.panels.tick();
    this.connection.tick();
  }
}

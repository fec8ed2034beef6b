import type { ApiClient } from './api.js';
import { CalibrationPanel } from './calibration-panel.js';
import { HistoryCharts } from './charts.js';
import { CommandHistory } from './command-history.js';
import { ControlPanel } from './controls.js';
import { DeviceHeader } from './device-view.js';
import { byId } from './dom.js';
import { GaugePanel } from './gauges.js';
import { HistoryPanel } from './history.js';
import { OtaPanel } from './ota.js';
import type { Permission } from './permission.js';
import type { WatchedDevice } from './store.js';
import type { CommandLogEntry, DeviceSummary, StoredReading } from './types.js';
import type { UnitChoice } from './units.js';

/**
 * The panels of the device view, for the device shown: its heading and banners, the gauges, the history
 * and its charts, the settings, the firmware update and the command history. An ack a panel receives
 * updates the watched device at once.
 */
export class DevicePanels {
  private readonly header: DeviceHeader;
  private readonly gauges: GaugePanel;
  private readonly charts: HistoryCharts;
  private readonly history: HistoryPanel;
  private readonly controls: ControlPanel;
  private readonly calibration: CalibrationPanel;
  private readonly ota: OtaPanel;
  private readonly commands: CommandHistory;

  constructor(
    doc: Document,
    api: ApiClient,
    watched: WatchedDevice,
    now: () => number,
    units: () => UnitChoice,
  ) {
    this.header = new DeviceHeader(doc, now, units);
    this.gauges = new GaugePanel(doc, byId(doc, 'gauges'));
    this.charts = new HistoryCharts(doc, byId(doc, 'charts'));
    this.history = new HistoryPanel(
      api,
      this.charts,
      byId(doc, 'range'),
      byId(doc, 'history-status'),
      now,
      byId<HTMLAnchorElement>(doc, 'history-csv'),
    );
    const applyAck = watched.applyAck.bind(watched);
    this.controls = new ControlPanel(doc, api, applyAck);
    this.calibration = new CalibrationPanel(doc, api, applyAck);
    this.ota = new OtaPanel(doc, api, applyAck, now);
    this.commands = new CommandHistory(
      doc,
      api,
      {
        list: byId(doc, 'command-list'),
        empty: byId(doc, 'commands-empty'),
        status: byId(doc, 'commands-status'),
      },
      now,
    );
  }

  start(): void {
    this.charts.start();
    this.history.start();
    this.controls.start();
    this.calibration.start();
    this.ota.start();
  }

  setPermission(permission: Permission): void {
    this.controls.setPermission(permission);
    this.calibration.setPermission(permission);
    this.ota.setPermission(permission);
  }

  /** The units chosen (the device is shown again by the next `show`). */
  setUnits(units: UnitChoice): void {
    this.gauges.setUnits(units);
    this.charts.setUnits(units);
    this.controls.setUnits(units);
    this.calibration.setUnits(units);
  }

  /** Shows `device`; null: none (its history and commands are no longer followed). */
  show(device: DeviceSummary | null): void {
    if (!device) {
      this.history.select(null);
      this.commands.select(null);
      return;
    }
    this.header.show(device);
    this.gauges.update(device);
    this.controls.show(device);
    this.calibration.show(device);
    this.ota.show(device);
    this.charts.setThreshold(device.settings?.seuil_alerte ?? null);
    this.history.select(device.device_id);
    this.commands.select(device.device_id);
  }

  /** A reading of the device shown. */
  onTelemetry(reading: StoredReading): void {
    this.history.onTelemetry(reading);
  }

  onCommand(entry: CommandLogEntry): void {
    this.commands.onCommand(entry);
  }

  /**
   * A stream opened (a reconnection, or the first stream for the device shown): the history and the commands
   * are read again, since what came before the stream reached the page by no other way. What is shown stays
   * until the new answer replaces it.
   */
  reload(): void {
    this.history.reload();
    this.commands.reload();
  }

  /** The session ended. */
  clear(): void {
    this.commands.clear();
  }

  tick(): void {
    this.header.tick();
    this.ota.tick();
    this.history.tick();
    this.commands.tick();
  }
}

import type { ApiClient } from './api.js';
import { byId, setText } from './dom.js';
import { modeLabel } from './format.js';
import { clockTime, describeFailure, showOutcome } from './outcome.js';
import { type Permission, showReadOnly } from './permission.js';
import {
  type FieldName,
  type SettingsChanges,
  settingsChanges,
  settingsCommand,
  shownThreshold,
  thresholdLimits,
} from './settings-command.js';
import { withAck } from './store.js';
import type { Ack, CommandFields, DeviceSummary } from './types.js';
import { INTERVAL_MAX_S, INTERVAL_MIN_S, MODES } from './types.js';
import { METRIC, type UnitChoice } from './units.js';

const WAIT_SECONDS = 10;

/**
 * The settings form: shows the device's reported settings, sends what the user changed as one command
 * (applied whole or not at all) and says what became of it. A field the user is editing is left alone
 * when the device reports its settings again.
 */
export class ControlPanel {
  private readonly form: HTMLFormElement;
  private readonly fieldset: HTMLFieldSetElement;
  private readonly mode: HTMLSelectElement;
  private readonly interval: HTMLInputElement;
  private readonly threshold: HTMLInputElement;
  private readonly active: HTMLInputElement;
  private readonly apply: HTMLButtonElement;
  private readonly readNow: HTMLButtonElement;
  private readonly revert: HTMLButtonElement;
  private readonly readOnly: HTMLElement;
  private readonly outcome: HTMLElement;
  private readonly note: HTMLElement;
  private readonly dirty = new Set<FieldName>();
  private device: DeviceSummary | null = null;
  private busy = false;
  private canCommand = true;
  private units: UnitChoice = METRIC;

  constructor(
    doc: Document,
    private readonly api: ApiClient,
    private readonly onApplied: (ack: Ack) => void,
  ) {
    this.form = byId(doc, 'controls-form');
    this.fieldset = byId(doc, 'controls-fields');
    this.mode = byId(doc, 'ctl-mode');
    this.interval = byId(doc, 'ctl-interval');
    this.threshold = byId(doc, 'ctl-threshold');
    this.active = byId(doc, 'ctl-active');
    this.apply = byId(doc, 'ctl-apply');
    this.readNow = byId(doc, 'ctl-read-now');
    this.revert = byId(doc, 'ctl-revert');
    this.readOnly = byId(doc, 'controls-readonly');
    this.outcome = byId(doc, 'ctl-outcome');
    this.note = byId(doc, 'controls-note');
  }

  start(): void {
    this.mode.replaceChildren(
      ...MODES.map((mode) => {
        const option = this.mode.ownerDocument.createElement('option');
        option.value = mode;
        option.textContent = modeLabel(mode);
        return option;
      }),
    );
    this.interval.min = String(INTERVAL_MIN_S);
    this.interval.max = String(INTERVAL_MAX_S);
    this.showThresholdUnit();
    const track = (element: HTMLElement, field: FieldName) => {
      element.addEventListener('input', () => this.markDirty(field));
      element.addEventListener('change', () => this.markDirty(field));
    };
    track(this.mode, 'mode');
    track(this.interval, 'intervalle');
    track(this.threshold, 'seuil_alerte');
    track(this.active, 'actif');
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.form.addEventListener('reset', (event) => {
      event.preventDefault();
      this.dirty.clear();
      this.clearErrors();
      this.fill(true);
      showOutcome(this.outcome, 'idle', '');
    });
    this.readNow.addEventListener('click', () => void this.send({ read_now: true }, 'Reading requested'));
  }

  show(device: DeviceSummary | null): void {
    const switched = device?.device_id !== this.device?.device_id;
    this.device = device;
    if (switched) {
      this.dirty.clear();
      this.clearErrors();
      showOutcome(this.outcome, 'idle', '');
    }
    this.fill(false);
    this.updateAvailability();
  }

  /**
   * The threshold is shown, typed and checked in the temperature unit chosen, and sent in °C. A threshold
   * being typed is set back to the device's (in the new unit): the number typed meant the other unit.
   */
  setUnits(units: UnitChoice): void {
    if (units.temperature === this.units.temperature) {
      this.units = units;
      return;
    }
    this.units = units;
    this.dirty.delete('seuil_alerte');
    this.clearError('seuil_alerte');
    this.showThresholdUnit();
    this.fill(false);
  }

  /** The threshold field's unit, limits, step and hint in the unit chosen. */
  private showThresholdUnit(): void {
    const unit = this.units.temperature;
    const [low, high] = thresholdLimits(this.units);
    this.threshold.min = String(low);
    this.threshold.max = String(high);
    this.threshold.step = unit === '°F' ? '1' : '0.5';
    const field = this.threshold.closest('.field');
    const unitLabel = field?.querySelector('.unit');
    if (unitLabel) setText(unitLabel, unit);
    const hint = this.threshold.ownerDocument.getElementById('ctl-threshold-hint');
    if (hint) setText(hint, `Alert above this temperature, ${low} to ${high} ${unit}`);
  }

  /** A viewer sees the settings read-only, with the reason next to them. */
  setPermission(permission: Permission): void {
    this.canCommand = permission.canCommand;
    showReadOnly(this.readOnly, permission.settingsReason);
    this.updateAvailability();
  }

  private fill(all: boolean): void {
    const settings = this.device?.settings;
    if (!settings) return;
    const set = (field: FieldName, write: () => void) => {
      if (all || !this.dirty.has(field)) write();
    };
    set('mode', () => {
      this.mode.value = settings.mode;
    });
    set('intervalle', () => {
      this.interval.value = String(settings.intervalle);
    });
    set('seuil_alerte', () => {
      this.threshold.value = String(shownThreshold(this.units, settings.seuil_alerte));
    });
    set('actif', () => {
      this.active.checked = settings.actif;
    });
    this.renderDirty();
  }

  private updateAvailability(): void {
    const device = this.device;
    const known = Boolean(device?.settings);
    const allowed = this.canCommand;
    this.fieldset.disabled = !known || this.busy || !allowed;
    const online = Boolean(device?.online);
    this.apply.disabled = !known || !online || this.busy || !allowed;
    this.readNow.disabled = !online || this.busy || !allowed;
    this.revert.disabled = !allowed;
    let note = '';
    if (device && !known) note = 'Waiting for the device to report its settings…';
    else if (device && !online && allowed)
      note = 'The device is offline: changes can be sent once it reconnects.';
    setText(this.note, note);
  }

  private markDirty(field: FieldName): void {
    this.dirty.add(field);
    this.clearError(field);
    this.renderDirty();
  }

  private renderDirty(): void {
    const changes = this.changes();
    for (const [field, element] of this.elements()) {
      element.closest('.field')?.classList.toggle('is-changed', field in changes);
    }
  }

  private elements(): [FieldName, HTMLInputElement | HTMLSelectElement][] {
    return [
      ['mode', this.mode],
      ['intervalle', this.interval],
      ['seuil_alerte', this.threshold],
      ['actif', this.active],
    ];
  }

  /** The fields whose value differs from what the device reported. */
  private changes(): SettingsChanges {
    const settings = this.device?.settings;
    if (!settings) return {};
    const values = {
      mode: this.mode.value,
      intervalle: this.interval.value,
      seuil_alerte: this.threshold.value,
      actif: this.active.checked,
    };
    return settingsChanges(values, settings, this.units);
  }

  /** The command for the changed fields, or null after marking the fields that are not valid. */
  private command(): CommandFields | null {
    const { command, errors } = settingsCommand(this.changes(), this.units);
    for (const [field, message] of errors) this.error(field, message);
    return errors.length === 0 ? command : null;
  }

  private async submit(): Promise<void> {
    this.clearErrors();
    const command = this.command();
    if (!command) {
      showOutcome(this.outcome, 'error', 'Not sent: correct the highlighted field.');
      return;
    }
    if (Object.keys(command).length === 0) {
      showOutcome(this.outcome, 'idle', 'Nothing to apply: the device already uses these settings.');
      return;
    }
    await this.send(command, 'Applied');
  }

  private async send(command: CommandFields, appliedWord: string): Promise<void> {
    const device = this.device;
    if (!device || this.busy) return;
    this.busy = true;
    this.updateAvailability();
    showOutcome(this.outcome, 'pending', `Sent to ${device.device_id}, waiting for it to confirm…`);
    const outcome = await this.api.command(device.device_id, command, WAIT_SECONDS);
    this.busy = false;
    if (this.device?.device_id === device.device_id) {
      if (outcome.kind === 'applied') {
        if (outcome.ack) {
          this.onApplied(outcome.ack);
          // The page renders the watched device at the next frame: the fields are filled from the ack now.
          if (this.device) this.device = withAck(this.device, outcome.ack);
        }
        for (const field of Object.keys(command)) this.dirty.delete(field as FieldName);
        this.fill(false);
        const when = outcome.ack ? ` at ${clockTime(new Date(outcome.ack.timestamp))}` : '';
        showOutcome(this.outcome, 'ok', `${appliedWord} by the device${when}.`);
      } else {
        showOutcome(this.outcome, ...describeFailure(outcome));
      }
    }
    this.updateAvailability();
  }

  private error(field: FieldName, message: string): void {
    const element = this.elements().find(([name]) => name === field)?.[1];
    if (!element) return;
    element.setAttribute('aria-invalid', 'true');
    const hint = element.ownerDocument.getElementById(`${element.id}-error`);
    if (hint) setText(hint, message);
  }

  private clearError(field: FieldName): void {
    const element = this.elements().find(([name]) => name === field)?.[1];
    if (!element) return;
    element.removeAttribute('aria-invalid');
    const hint = element.ownerDocument.getElementById(`${element.id}-error`);
    if (hint) setText(hint, '');
  }

  private clearErrors(): void {
    for (const [field] of this.elements()) this.clearError(field);
  }
}

import type { ApiClient } from './api.js';
import {
  ALTITUDE_MAX_M,
  ALTITUDE_MIN_M,
  HUMIDITY_CORRECTION_MAX_RH,
  PRESSURE_CORRECTION_MAX_HPA,
  TEMPERATURE_CORRECTION_MAX_C,
} from './calibration-limits.js';
import { byId, setText } from './dom.js';
import { clockTime, describeFailure, showOutcome } from './outcome.js';
import type { Permission } from './permission.js';
import { withAck } from './store.js';
import type { Ack, CommandFields, DeviceSettings, DeviceSummary } from './types.js';
import { convert, METRIC, type UnitChoice, unitOf } from './units.js';

const WAIT_SECONDS = 10;

type CalibrationField = 'correction_temperature' | 'correction_humidite' | 'correction_pression' | 'altitude';

interface FieldSpec {
  field: CalibrationField;
  id: string;
  /** An offset converts as a difference (×9/5 for °F, without the 32); the altitude is metres. */
  measure: 'temperature' | 'humidite' | 'pression' | null;
  min: number;
  max: number;
}

const FIELDS: readonly FieldSpec[] = [
  {
    field: 'correction_temperature',
    id: 'cal-temperature',
    measure: 'temperature',
    min: -TEMPERATURE_CORRECTION_MAX_C,
    max: TEMPERATURE_CORRECTION_MAX_C,
  },
  {
    field: 'correction_humidite',
    id: 'cal-humidity',
    measure: 'humidite',
    min: -HUMIDITY_CORRECTION_MAX_RH,
    max: HUMIDITY_CORRECTION_MAX_RH,
  },
  {
    field: 'correction_pression',
    id: 'cal-pressure',
    measure: 'pression',
    min: -PRESSURE_CORRECTION_MAX_HPA,
    max: PRESSURE_CORRECTION_MAX_HPA,
  },
  { field: 'altitude', id: 'cal-altitude', measure: null, min: ALTITUDE_MIN_M, max: ALTITUDE_MAX_M },
];

/** How many of the user's unit make one of the wire's: 9/5 for °F, 0.75 for mmHg… (a difference: no 32). */
function factor(units: UnitChoice, spec: FieldSpec): number {
  if (spec.measure === null) return 1;
  return convert(units, spec.measure, 1) - convert(units, spec.measure, 0);
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * The calibration form, for a device that reports its calibration (this release on; an older one would
 * refuse the commands): the offsets in the user's units and the altitude, editable by operators and admins,
 * sent as one command of the fields changed (`correction_temperature`, `correction_humidite`,
 * `correction_pression`, `altitude`, in °C, %RH, hPa and metres) and confirmed by the device's ack.
 */
export class CalibrationPanel {
  private readonly form: HTMLFormElement;
  private readonly fieldset: HTMLFieldSetElement;
  private readonly apply: HTMLButtonElement;
  private readonly outcome: HTMLElement;
  private readonly inputs = new Map<CalibrationField, HTMLInputElement>();
  private readonly dirty = new Set<CalibrationField>();
  private device: DeviceSummary | null = null;
  private units: UnitChoice = METRIC;
  private canCommand = true;
  private busy = false;

  constructor(
    private readonly doc: Document,
    private readonly api: ApiClient,
    private readonly onApplied: (ack: Ack) => void,
  ) {
    this.form = byId(doc, 'calibration-form');
    this.fieldset = byId(doc, 'calibration-fields');
    this.apply = byId(doc, 'cal-apply');
    this.outcome = byId(doc, 'cal-outcome');
    for (const spec of FIELDS) this.inputs.set(spec.field, byId(doc, spec.id));
  }

  start(): void {
    for (const [field, input] of this.inputs) {
      input.addEventListener('input', () => {
        this.dirty.add(field);
        this.clearError(field);
      });
    }
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.showUnits();
  }

  setPermission(permission: Permission): void {
    this.canCommand = permission.canCommand;
    this.updateAvailability();
  }

  /** The offsets in the units chosen: what was being typed meant the other unit, so it is set back. */
  setUnits(units: UnitChoice): void {
    const changed = units.temperature !== this.units.temperature || units.pressure !== this.units.pressure;
    this.units = units;
    if (!changed) return;
    this.dirty.clear();
    this.showUnits();
    this.fill();
  }

  show(device: DeviceSummary | null): void {
    if (device?.device_id !== this.device?.device_id) {
      this.dirty.clear();
      showOutcome(this.outcome, 'idle', '');
    }
    this.device = device;
    const settings = this.settings();
    this.form.hidden = settings === null;
    const source = device?.sensor?.source ?? device?.latest?.source;
    byId(this.doc, 'cal-humidity-field').hidden = source === 'bmp280';
    this.fill();
    this.updateAvailability();
  }

  /** The device's settings when they include its calibration. */
  private settings(): Required<Pick<DeviceSettings, CalibrationField>> | null {
    const s = this.device?.settings;
    if (
      s?.correction_temperature === undefined ||
      s.correction_humidite === undefined ||
      s.correction_pression === undefined ||
      s.altitude === undefined
    ) {
      return null;
    }
    const { correction_temperature, correction_humidite, correction_pression, altitude } = s;
    return { correction_temperature, correction_humidite, correction_pression, altitude };
  }

  private shown(spec: FieldSpec, wire: number): number {
    return spec.measure === null ? wire : round(wire * factor(this.units, spec), 2);
  }

  private showUnits(): void {
    for (const spec of FIELDS) {
      const input = this.inputs.get(spec.field);
      const unit = spec.measure === null ? 'm' : unitOf(this.units, spec.measure);
      const low = this.shown(spec, spec.min);
      const high = this.shown(spec, spec.max);
      if (!input) continue;
      input.min = String(low);
      input.max = String(high);
      const field = input.closest('.field');
      const unitLabel = field?.querySelector('.unit');
      if (unitLabel) setText(unitLabel, unit);
      const hint = this.doc.getElementById(`${spec.id}-hint`);
      if (hint && spec.measure !== null)
        setText(hint, `Added to what the sensor measures, ${low} to ${high} ${unit}`);
    }
  }

  private fill(): void {
    const settings = this.settings();
    if (!settings) return;
    for (const spec of FIELDS) {
      const input = this.inputs.get(spec.field);
      if (input && !this.dirty.has(spec.field)) input.value = String(this.shown(spec, settings[spec.field]));
    }
  }

  private updateAvailability(): void {
    const known = this.settings() !== null;
    const online = Boolean(this.device?.online);
    this.fieldset.disabled = !known || this.busy || !this.canCommand;
    this.apply.disabled = !known || !online || this.busy || !this.canCommand;
  }

  /** The command of the fields changed, in the wire's units; null after marking a field not accepted. */
  private command(): Partial<Record<CalibrationField, number>> | null {
    const settings = this.settings();
    if (!settings) return null;
    const command: Partial<Record<CalibrationField, number>> = {};
    let valid = true;
    for (const spec of FIELDS) {
      const input = this.inputs.get(spec.field);
      if (!input || input.closest<HTMLElement>('.field')?.hidden) continue;
      const text = input.value.trim();
      if (text === String(this.shown(spec, settings[spec.field]))) continue;
      const typed = Number(text);
      const wire = spec.measure === null ? typed : round(typed / factor(this.units, spec), 2);
      const whole = spec.measure === null;
      if (
        text === '' ||
        !Number.isFinite(wire) ||
        wire < spec.min ||
        wire > spec.max ||
        (whole && !Number.isInteger(wire))
      ) {
        const unit = spec.measure === null ? 'm' : unitOf(this.units, spec.measure);
        const what = whole ? 'a whole number of metres' : 'a number';
        valid = this.error(
          spec,
          `Enter ${what} from ${this.shown(spec, spec.min)} to ${this.shown(spec, spec.max)} ${unit}.`,
        );
      } else if (wire !== settings[spec.field]) command[spec.field] = wire;
    }
    return valid ? command : null;
  }

  private async submit(): Promise<void> {
    const device = this.device;
    const command = this.command();
    if (!device || this.busy) return;
    if (!command) return showOutcome(this.outcome, 'error', 'Not sent: correct the highlighted field.');
    if (Object.keys(command).length === 0) {
      return showOutcome(this.outcome, 'idle', 'Nothing to apply: the device already uses this calibration.');
    }
    this.busy = true;
    this.updateAvailability();
    showOutcome(this.outcome, 'pending', `Sent to ${device.device_id}, waiting for it to confirm…`);
    const outcome = await this.api.command(device.device_id, command satisfies CommandFields, WAIT_SECONDS);
    this.busy = false;
    if (this.device?.device_id === device.device_id) {
      if (outcome.kind === 'applied') {
        if (outcome.ack) {
          this.onApplied(outcome.ack);
          // The page renders the watched device at the next frame: the fields are filled from the ack now.
          if (this.device) this.device = withAck(this.device, outcome.ack);
        }
        this.dirty.clear();
        this.fill();
        const when = outcome.ack ? ` at ${clockTime(new Date(outcome.ack.timestamp))}` : '';
        showOutcome(this.outcome, 'ok', `Applied by the device${when}.`);
      } else showOutcome(this.outcome, ...describeFailure(outcome));
    }
    this.updateAvailability();
  }

  private error(spec: FieldSpec, message: string): false {
    this.inputs.get(spec.field)?.setAttribute('aria-invalid', 'true');
    const hint = this.doc.getElementById(`${spec.id}-error`);
    if (hint) setText(hint, message);
    return false;
  }

  private clearError(field: CalibrationField): void {
    const spec = FIELDS.find((candidate) => candidate.field === field);
    if (!spec) return;
    this.inputs.get(field)?.removeAttribute('aria-invalid');
    const hint = this.doc.getElementById(`${spec.id}-error`);
    if (hint) setText(hint, '');
  }
}

import { RULE_LABELS } from './alert-words.js';
import type { AlertsApi } from './alerts-api.js';
import { ALERT_RULE_NAMES, type AlertRuleName, type RuleFields, type RulesResponse } from './alerts-types.js';
import { byId, h, setText } from './dom.js';
import { toCelsius, type UnitChoice } from './units.js';

/** The rules' temperatures (°C on the wire): a limit converts as a temperature, a hysteresis as a difference. */
const TEMPERATURES: Record<string, 'limit' | 'difference'> = {
  'high_temperature.above': 'limit',
  'high_temperature.hysteresis': 'difference',
  'frost.below': 'limit',
  'frost.hysteresis': 'difference',
};

function fieldLabel(rule: AlertRuleName, field: string, unit: string): string {
  const kind = TEMPERATURES[`${rule}.${field}`];
  if (field === 'above') return `Above (${unit}; empty: the device’s own threshold)`;
  if (field === 'below') return `Below (${kind ? unit : '%'})`;
  if (field === 'hysteresis') return `Hysteresis (${kind ? unit : '%'})`;
  if (field === 'min' || field === 'max') return `${field === 'min' ? 'Min' : 'Max'} (%)`;
  return field === 'count' ? 'Readings' : 'Minutes';
}

/** A rule's value in the user's unit, rounded to 0.1 as typed (°C values pass as they are). */
function shown(kind: 'limit' | 'difference' | undefined, celsius: number, units: UnitChoice): number {
  if (kind === undefined || units.temperature === '°C') return celsius;
  const value = kind === 'limit' ? (celsius * 9) / 5 + 32 : (celsius * 9) / 5;
  return Math.round(value * 10) / 10;
}

/** A value typed in the user's unit, in °C for the wire (a difference converts by 5/9 only, no 32). */
function wire(kind: 'limit' | 'difference' | undefined, value: number, units: UnitChoice): number {
  if (kind === undefined || units.temperature === '°C' || !Number.isFinite(value)) return value;
  return kind === 'limit' ? toCelsius(units, value) : Math.round(((value * 5) / 9) * 100) / 100;
}

/**
 * The rules part of the alerts dialog: the fleet's defaults, or one device's rules ("Rules for"), in the
 * user's units (temperatures sent in °C). For a device the form shows the rules in force for it, marks the
 * fields that are its own, and saves as its own only what differs from the fleet's defaults
 * (`PUT /api/alerts/rules/:deviceId`, which replaces its override); "Reset to fleet defaults" removes them.
 */
export class AlertRulesForm {
  private readonly box: HTMLElement;
  private readonly status: HTMLElement;
  private readonly scopeSelect: HTMLSelectElement;
  private readonly reset: HTMLButtonElement;
  private view: RulesResponse | null = null;

  constructor(
    private readonly doc: Document,
    private readonly api: AlertsApi,
    private readonly units: () => UnitChoice,
    private readonly currentDevice: () => string | null,
    private readonly changed: () => void,
  ) {
    this.box = byId(doc, 'alert-rules');
    this.status = byId(doc, 'alert-rules-status');
    this.scopeSelect = byId(doc, 'alert-rules-scope');
    this.reset = byId(doc, 'alert-rules-reset');
  }

  start(): void {
    byId(this.doc, 'alert-rules-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    this.scopeSelect.addEventListener('change', () => {
      setText(this.status, '');
      this.render();
    });
    this.reset.addEventListener('click', () => void this.resetDevice());
  }

  /** The rules as the server answered them; `scope`: a device to show (else the one chosen stays). */
  show(view: RulesResponse, scope?: string | null): void {
    this.view = view;
    const keep = scope === undefined ? this.scopeSelect.value : (scope ?? '');
    const ids = new Set(Object.keys(view.devices));
    const current = this.currentDevice();
    if (current !== null) ids.add(current);
    if (keep !== '') ids.add(keep);
    this.scopeSelect.replaceChildren(
      h(this.doc, 'option', { value: '' }, 'Fleet defaults'),
      ...[...ids]
        .sort()
        .map((id) => h(this.doc, 'option', { value: id }, view.devices[id] ? `${id} (own rules)` : id)),
    );
    this.scopeSelect.value = keep;
    this.render();
  }

  setStatus(text: string): void {
    setText(this.status, text);
  }

  private get device(): string | null {
    return this.scopeSelect.value === '' ? null : this.scopeSelect.value;
  }

  private render(): void {
    const view = this.view;
    if (!view) return;
    const device = this.device;
    const own = device === null ? {} : (view.devices[device] ?? {});
    this.reset.hidden = device === null || view.devices[device] === undefined;
    const units = this.units();
    this.box.replaceChildren(
      ...ALERT_RULE_NAMES.map((rule) => {
        const fields = { ...view.defaults[rule], ...own[rule] };
        const isOwn = (name: string) => own[rule]?.[name] !== undefined;
        const mark = (name: string) => (isOwn(name) ? ' · this device' : '');
        const inputs = Object.entries(fields)
          .filter(([name]) => name !== 'enabled')
          .map(([name, value]) => {
            const kind = TEMPERATURES[`${rule}.${name}`];
            const text = typeof value === 'number' ? String(shown(kind, value, units)) : '';
            return h(
              this.doc,
              'label',
              { class: 'alert-field', 'data-own': String(isOwn(name)) },
              h(
                this.doc,
                'span',
                { class: 'small muted' },
                fieldLabel(rule, name, units.temperature) + mark(name),
              ),
              h(this.doc, 'input', {
                type: 'number',
                step: 'any',
                id: `alert-${rule}-${name}`,
                'data-rule': rule,
                'data-field': name,
                'data-shown': text,
                'data-celsius': value === null ? '' : String(value),
                value: text,
              }),
            );
          });
        return h(
          this.doc,
          'fieldset',
          { class: 'alert-rule' },
          h(
            this.doc,
            'legend',
            { 'data-own': String(isOwn('enabled')) },
            h(this.doc, 'input', {
              type: 'checkbox',
              id: `alert-${rule}-enabled`,
              'data-rule': rule,
              'data-field': 'enabled',
              checked: fields.enabled === true,
            }),
            h(this.doc, 'label', { for: `alert-${rule}-enabled` }, RULE_LABELS[rule] + mark('enabled')),
          ),
          ...inputs,
        );
      }),
    );
  }

  /** The form's rules, in °C: a value left as shown is sent as the server gave it (no rounding trip). */
  private read(): Record<AlertRuleName, RuleFields> {
    const out = {} as Record<AlertRuleName, RuleFields>;
    for (const rule of ALERT_RULE_NAMES) out[rule] = {};
    const units = this.units();
    for (const input of this.box.querySelectorAll<HTMLInputElement>('input[data-rule]')) {
      const rule = input.dataset.rule as AlertRuleName;
      const field = input.dataset.field ?? '';
      const fields = out[rule];
      const text = input.value.trim();
      if (input.type === 'checkbox') fields[field] = input.checked;
      else if (text === '') fields[field] = field === 'above' ? null : Number.NaN;
      else if (text === input.dataset.shown && input.dataset.celsius !== '') {
        fields[field] = Number(input.dataset.celsius);
      } else fields[field] = wire(TEMPERATURES[`${rule}.${field}`], Number(text), units);
    }
    return out;
  }

  /** Only what differs from the fleet's defaults: a device's own rules. */
  private differences(rules: Record<AlertRuleName, RuleFields>): Partial<Record<AlertRuleName, RuleFields>> {
    const out: Partial<Record<AlertRuleName, RuleFields>> = {};
    for (const rule of ALERT_RULE_NAMES) {
      const defaults = this.view?.defaults[rule] ?? {};
      const changed = Object.entries(rules[rule]).filter(([field, value]) => value !== defaults[field]);
      if (changed.length > 0) out[rule] = Object.fromEntries(changed);
    }
    return out;
  }

  private async save(): Promise<void> {
    const device = this.device;
    setText(this.status, 'Saving…');
    try {
      if (device === null) {
        this.show(await this.api.saveRules(this.read()));
        setText(this.status, 'Rules saved.');
      } else {
        const own = this.differences(this.read());
        if (Object.keys(own).length === 0) return await this.resetDevice();
        this.show(await this.api.saveDeviceRules(device, own), device);
        const names = Object.keys(own).map((rule) => RULE_LABELS[rule as AlertRuleName]);
        setText(this.status, `Rules of ${device} saved; its own: ${names.join(', ')}.`);
      }
      this.changed();
    } catch (error) {
      setText(this.status, (error as Error).message);
    }
  }

  private async resetDevice(): Promise<void> {
    const device = this.device;
    if (device === null) return;
    try {
      if (this.view?.devices[device] !== undefined) await this.api.clearDeviceRules(device);
      this.show(await this.api.rules(), device);
      setText(this.status, `${device} follows the fleet defaults.`);
      this.changed();
    } catch (error) {
      setText(this.status, (error as Error).message);
    }
  }
}

import { byId, h } from './dom.js';
import type { UnitPreference } from './unit-preference.js';
import { PRESSURE_UNITS, type PressureUnit, TEMPERATURE_UNITS, type TemperatureUnit } from './units.js';

/** The top bar's choice of units (temperature, pressure), shown while a user is signed in. */
export class UnitPicker {
  private readonly box: HTMLElement;
  private readonly temperature: HTMLSelectElement;
  private readonly pressure: HTMLSelectElement;

  constructor(
    doc: Document,
    private readonly preference: UnitPreference,
  ) {
    this.box = byId(doc, 'units');
    this.temperature = byId<HTMLSelectElement>(doc, 'unit-temperature');
    this.pressure = byId<HTMLSelectElement>(doc, 'unit-pressure');
    const options = (units: readonly string[]) =>
      units.map((unit) => h(doc, 'option', { value: unit }, unit));
    this.temperature.replaceChildren(...options(TEMPERATURE_UNITS));
    this.pressure.replaceChildren(...options(PRESSURE_UNITS));
  }

  start(): void {
    this.temperature.addEventListener('change', () => {
      this.preference.set({ temperature: this.temperature.value as TemperatureUnit });
    });
    this.pressure.addEventListener('change', () => {
      this.preference.set({ pressure: this.pressure.value as PressureUnit });
    });
    this.preference.subscribe(() => this.show());
    this.show();
  }

  /** The user signed in (null: none): their choice applies, and the picker shows it (hidden without one). */
  useFor(user: string | null): void {
    this.preference.useFor(user);
    this.box.hidden = user === null;
    this.show();
  }

  private show(): void {
    const { temperature, pressure } = this.preference.choice;
    if (this.temperature.value !== temperature) this.temperature.value = temperature;
    if (this.pressure.value !== pressure) this.pressure.value = pressure;
  }
}

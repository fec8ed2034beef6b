import type { CommandFields, DeviceSettings, Mode } from './types.js';
import { INTERVAL_MAX_S, INTERVAL_MIN_S, THRESHOLD_MAX_C, THRESHOLD_MIN_C } from './types.js';
import { convert, toCelsius, type UnitChoice } from './units.js';

/** The settings form's fields, named as the command names them. */
export type FieldName = 'mode' | 'intervalle' | 'seuil_alerte' | 'actif';

/** The form's values (as typed) of the fields that differ from the device's settings. */
export type SettingsChanges = Partial<Record<FieldName, string | boolean>>;

/** The form's values as they stand: the text of each field, the active box checked or not. */
export interface SettingsValues {
  mode: string;
  intervalle: string;
  seuil_alerte: string;
  actif: boolean;
}

/** The threshold's range (15 to 45 °C) in the unit chosen: 59 to 113 °F. */
export function thresholdLimits(units: UnitChoice): [number, number] {
  const shown = (celsius: number) => Math.round(convert(units, 'temperature', celsius) * 10) / 10;
  return [shown(THRESHOLD_MIN_C), shown(THRESHOLD_MAX_C)];
}

/** The device's threshold (°C) as the field shows it: in the unit chosen, to 0.1 °F. */
export function shownThreshold(units: UnitChoice, celsius: number): number {
  return units.temperature === '°C' ? celsius : Math.round(convert(units, 'temperature', celsius) * 10) / 10;
}

/** The fields whose value differs from what the device reported. */
export function settingsChanges(
  values: SettingsValues,
  settings: DeviceSettings,
  units: UnitChoice,
): SettingsChanges {
  const changes: SettingsChanges = {};
  if (values.mode !== settings.mode) changes.mode = values.mode;
  if (values.intervalle.trim() !== String(settings.intervalle)) changes.intervalle = values.intervalle;
  const threshold = values.seuil_alerte.trim();
  if (threshold === '' || Number(threshold) !== shownThreshold(units, settings.seuil_alerte)) {
    changes.seuil_alerte = values.seuil_alerte;
  }
  if (values.actif !== settings.actif) changes.actif = values.actif;
  return changes;
}

/**
 * The command for the changed fields, and what is wrong with those that are not valid (the command is
 * only to be sent when there is nothing wrong).
 */
export function settingsCommand(
  changes: SettingsChanges,
  units: UnitChoice,
): { command: CommandFields; errors: [FieldName, string][] } {
  const command: CommandFields = {};
  const errors: [FieldName, string][] = [];
  if (changes.mode !== undefined) command.mode = changes.mode as Mode;
  if (changes.intervalle !== undefined) {
    const value = Number(changes.intervalle);
    if (!Number.isInteger(value) || value < INTERVAL_MIN_S || value > INTERVAL_MAX_S) {
      errors.push([
        'intervalle',
        `Enter a whole number of seconds from ${INTERVAL_MIN_S} to ${INTERVAL_MAX_S}.`,
      ]);
    } else command.intervalle = value;
  }
  if (changes.seuil_alerte !== undefined) {
    const text = String(changes.seuil_alerte).trim();
    // Typed in the unit chosen; the wire carries °C (0.01 °C: see toCelsius).
    const value = toCelsius(units, Number(text));
    if (text === '' || !Number.isFinite(value) || value < THRESHOLD_MIN_C || value > THRESHOLD_MAX_C) {
      const [low, high] = thresholdLimits(units);
      errors.push(['seuil_alerte', `Enter a temperature from ${low} to ${high} ${units.temperature}.`]);
    } else command.seuil_alerte = value;
  }
  if (changes.actif !== undefined) command.actif = changes.actif as boolean;
  return { command, errors };
}

import { CALIBRATION_FIELDS, type Calibration, type Command, type DeviceSettings } from '@fleet/shared';

/**
 * The settings as a device of this release holds and reports them: every field, the calibration included
 * (DeviceSettings has the calibration optional, for devices of an earlier release that leave it out).
 */
export type EdgeSettings = DeviceSettings & Calibration;

/** No correction, station pressure: what a device reports when nothing calibrates it. */
export const NO_CALIBRATION: Calibration = {
  correction_temperature: 0,
  correction_humidite: 0,
  correction_pression: 0,
  altitude: 0,
};

/** Every field a command can set, as reported in `settings`. */
export const SETTING_FIELDS = [
  'mode',
  'intervalle',
  'seuil_alerte',
  'actif',
  ...CALIBRATION_FIELDS,
] as const satisfies ReadonlyArray<keyof EdgeSettings>;

/** The settings once the command's fields replace the current ones. */
export function nextSettings(current: EdgeSettings, command: Command): EdgeSettings {
  const next = { ...current };
  for (const field of SETTING_FIELDS) {
    const value = command[field];
    if (value !== undefined) Object.assign(next, { [field]: value });
  }
  return next;
}

export function changedFields(before: EdgeSettings, after: EdgeSettings): Array<keyof EdgeSettings> {
  return SETTING_FIELDS.filter((field) => before[field] !== after[field]);
}

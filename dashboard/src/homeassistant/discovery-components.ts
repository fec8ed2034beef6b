import {
  ALTITUDE_MAX_M,
  ALTITUDE_MIN_M,
  HUMIDITY_CORRECTION_MAX_RH,
  INTERVAL_MAX_S,
  INTERVAL_MIN_S,
  MODES,
  PRESSURE_CORRECTION_MAX_HPA,
  type SensorSource,
  TEMPERATURE_CORRECTION_MAX_C,
  THRESHOLD_MAX_C,
  THRESHOLD_MIN_C,
} from '@fleet/shared';

/** One component of a device-based discovery (an entity in Home Assistant). */
export type Component = Record<string, unknown> & { platform: string; unique_id: string };

/** A setting shown as a number: read from the status, changed by a command on the bridge topic. */
export interface NumberSetting {
  key: string;
  name: string;
  /** The field of the status and of the command (the contract's name). */
  field: string;
  min: number;
  max: number;
  step: number;
  unit: string;
  /** Left out for offsets: Home Assistant would convert an offset as if it were a temperature. */
  deviceClass?: string;
}

/** The two shapes the discovery repeats for one device: a sensor of its readings, a setting as a number. */
export interface ComponentShapes {
  id: string;
  measurement(
    key: string,
    name: string,
    field: string,
    deviceClass: string,
    unit: string,
    precision: number,
  ): Component;
  setting(setting: NumberSetting): Component;
}

/** The shapes for device `id`: readings from `data`, settings from `status`, commands to `set`. */
export function componentsFor(id: string, data: string, status: string, set: string): ComponentShapes {
  return {
    id,
    measurement: (key, name, field, deviceClass, unit, precision) => ({
      platform: 'sensor',
      unique_id: `${id}_${key}`,
      name,
      state_topic: data,
      value_template: `{{ value_json.${field} }}`,
      device_class: deviceClass,
      unit_of_measurement: unit,
      state_class: 'measurement',
      suggested_display_precision: precision,
    }),
    setting: ({ key, name, field, min, max, step, unit, deviceClass }) => ({
      platform: 'number',
      unique_id: `${id}_${key}`,
      name,
      state_topic: status,
      value_template: `{{ value_json.${field} }}`,
      command_topic: set,
      command_template: `{"${field}": {{ value | ${step === 1 ? 'int' : 'float'} }}}`,
      min,
      max,
      step,
      unit_of_measurement: unit,
      ...(deviceClass === undefined ? {} : { device_class: deviceClass }),
      mode: 'box',
      entity_category: 'config',
    }),
  };
}

/** The alert, and the settings and actions every device takes: mode, interval, threshold, on/off, read now. */
export function controlComponents(
  shapes: ComponentShapes,
  status: string,
  set: string,
): Record<string, Component> {
  const { id } = shapes;
  return {
    alert: {
      platform: 'binary_sensor',
      unique_id: `${id}_alert`,
      name: 'Alert',
      state_topic: status,
      value_template: "{{ 'ON' if value_json.alerte else 'OFF' }}",
      payload_on: 'ON',
      payload_off: 'OFF',
      device_class: 'heat',
    },
    mode: {
      platform: 'select',
      unique_id: `${id}_mode`,
      name: 'Mode',
      state_topic: status,
      value_template: '{{ value_json.mode }}',
      command_topic: set,
      command_template: '{"mode": "{{ value }}"}',
      options: [...MODES],
      entity_category: 'config',
    },
    interval: shapes.setting({
      key: 'interval',
      name: 'Interval',
      field: 'intervalle',
      min: INTERVAL_MIN_S,
      max: INTERVAL_MAX_S,
      step: 1,
      unit: 's',
      deviceClass: 'duration',
    }),
    alert_threshold: shapes.setting({
      key: 'alert_threshold',
      name: 'Alert threshold',
      field: 'seuil_alerte',
      min: THRESHOLD_MIN_C,
      max: THRESHOLD_MAX_C,
      step: 0.5,
      unit: '°C',
      deviceClass: 'temperature',
    }),
    active: {
      platform: 'switch',
      unique_id: `${id}_active`,
      name: 'Active',
      state_topic: status,
      value_template: "{{ 'ON' if value_json.actif else 'OFF' }}",
      state_on: 'ON',
      state_off: 'OFF',
      command_topic: set,
      payload_on: '{"actif": true}',
      payload_off: '{"actif": false}',
      entity_category: 'config',
    },
    read_now: {
      platform: 'button',
      unique_id: `${id}_read_now`,
      name: 'Read now',
      command_topic: set,
      payload_press: '{"read_now": true}',
    },
  };
}

/**
 * The calibration as numbers (README, Calibration): the offsets carry no device class, since Home Assistant
 * would convert an offset as if it were a temperature; the humidity offset is left out for a BMP280.
 */
export function calibrationComponents(
  shapes: ComponentShapes,
  source: SensorSource | null,
): Record<string, Component> {
  const offset = (key: string, name: string, field: string, max: number, unit: string) =>
    shapes.setting({ key, name, field, min: -max, max, step: 0.1, unit });
  const components: Record<string, Component> = {
    temperature_offset: offset(
      'temperature_offset',
      'Temperature offset',
      'correction_temperature',
      TEMPERATURE_CORRECTION_MAX_C,
      '°C',
    ),
  };
  if (source !== 'bmp280') {
    components.humidity_offset = offset(
      'humidity_offset',
      'Humidity offset',
      'correction_humidite',
      HUMIDITY_CORRECTION_MAX_RH,
      '%',
    );
  }
  components.pressure_offset = offset(
    'pressure_offset',
    'Pressure offset',
    'correction_pression',
    PRESSURE_CORRECTION_MAX_HPA,
    'hPa',
  );
  components.altitude = shapes.setting({
    key: 'altitude',
    name: 'Altitude',
    field: 'altitude',
    min: ALTITUDE_MIN_M,
    max: ALTITUDE_MAX_M,
    step: 1,
    unit: 'm',
  });
  return components;
}

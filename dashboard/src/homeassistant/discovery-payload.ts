import {
  ALTITUDE_MAX_M,
  ALTITUDE_MIN_M,
  type HaTopics,
  HUMIDITY_CORRECTION_MAX_RH,
  INTERVAL_MAX_S,
  INTERVAL_MIN_S,
  MODES,
  PRESSURE_CORRECTION_MAX_HPA,
  type SensorSource,
  TEMPERATURE_CORRECTION_MAX_C,
  THRESHOLD_MAX_C,
  THRESHOLD_MIN_C,
  type Topics,
} from '@fleet/shared';
import type { DeviceSummary } from '../api-types.js';

/** What the discovery of a device depends on; a change of any of these republishes it (not a reading). */
export interface DiscoveryInputs {
  deviceId: string;
  /** The sensor the device last reported (status, else its latest reading); null while unknown. */
  source: SensorSource | null;
  /** The firmware it runs; null while unknown. */
  firmware: string | null;
  /** The version Home Assistant offers in its update panel (see latestFirmware); null: none to offer. */
  latestFirmware: string | null;
  /** The device reports its calibration (a release that takes the calibration commands; older ones refuse them). */
  calibration: boolean;
}

export interface DiscoveryContext {
  topics: Topics;
  ha: HaTopics;
  /** The origin block: who publishes the discovery (the dashboard). */
  origin: { name: string; sw: string };
}

/** OTA states during which the device is updating (Home Assistant shows the update in progress). */
const UPDATING = ['downloading', 'verifying', 'installing', 'rebooting'] as const;

const MODELS: Record<SensorSource, string> = {
  bme280: 'BME280 sensor node',
  bmp280: 'BMP280 sensor node (no humidity)',
  synthetic: 'Sensor node (synthetic readings, no sensor found)',
};

export const MANUFACTURER = 'balena sensor fleet';

/** The inputs of a device's discovery, from what the dashboard knows of it. */
export function discoveryInputs(device: DeviceSummary, latestFirmware: string | null): DiscoveryInputs {
  return {
    deviceId: device.device_id,
    source: device.sensor?.source ?? device.latest?.source ?? null,
    firmware: device.firmware,
    latestFirmware,
    calibration: device.settings?.correction_temperature !== undefined,
  };
}

/** A string that changes when, and only when, the discovery of the device changes. */
export function discoveryKey(inputs: DiscoveryInputs): string {
  return `${inputs.source ?? '-'}|${inputs.firmware ?? '-'}|${inputs.latestFirmware ?? '-'}|${inputs.calibration}`;
}

type Component = Record<string, unknown> & { platform: string; unique_id: string };

/**
 * The device-based discovery of one device (`<prefix>/device/<object id>/config`, retained): a device block,
 * an origin block, the availability of the device's own availability topic, and its components. Sensors
 * read the device's telemetry (`{root}/{id}/data`); the alert, settings and firmware read its retained status;
 * every command goes to the bridge topic `{root}/{id}/set`, which the dashboard validates and sends on.
 * Humidity is left out for a BMP280, which has none.
 */
export function discoveryPayload(
  inputs: DiscoveryInputs,
  context: DiscoveryContext,
): Record<string, unknown> {
  const { deviceId: id, source } = inputs;
  const { topics } = context;
  const data = topics.data(id);
  const status = topics.status(id);
  const set = topics.set(id);
  const measurement = (
    key: string,
    name: string,
    field: string,
    deviceClass: string,
    unit: string,
    precision: number,
  ): Component => ({
    platform: 'sensor',
    unique_id: `${id}_${key}`,
    name,
    state_topic: data,
    value_template: `{{ value_json.${field} }}`,
    device_class: deviceClass,
    unit_of_measurement: unit,
    state_class: 'measurement',
    suggested_display_precision: precision,
  });
  const components: Record<string, Component> = {
    temperature: measurement('temperature', 'Temperature', 'temperature', 'temperature', '°C', 1),
  };
  if (source !== 'bmp280') {
    components.humidity = measurement('humidity', 'Humidity', 'humidite', 'humidity', '%', 1);
  }
  components.pressure = measurement('pressure', 'Pressure', 'pression', 'atmospheric_pressure', 'hPa', 1);
  components.battery = measurement('battery', 'Battery', 'batterie', 'battery', '%', 0);
  components.alert = {
    platform: 'binary_sensor',
    unique_id: `${id}_alert`,
    name: 'Alert',
    state_topic: status,
    value_template: "{{ 'ON' if value_json.alerte else 'OFF' }}",
    payload_on: 'ON',
    payload_off: 'OFF',
    device_class: 'heat',
  };
  components.mode = {
    platform: 'select',
    unique_id: `${id}_mode`,
    name: 'Mode',
    state_topic: status,
    value_template: '{{ value_json.mode }}',
    command_topic: set,
    command_template: '{"mode": "{{ value }}"}',
    options: [...MODES],
    entity_category: 'config',
  };
  components.interval = {
    platform: 'number',
    unique_id: `${id}_interval`,
    name: 'Interval',
    state_topic: status,
    value_template: '{{ value_json.intervalle }}',
    command_topic: set,
    command_template: '{"intervalle": {{ value | int }}}',
    min: INTERVAL_MIN_S,
    max: INTERVAL_MAX_S,
    step: 1,
    unit_of_measurement: 's',
    device_class: 'duration',
    mode: 'box',
    entity_category: 'config',
  };
  components.alert_threshold = {
    platform: 'number',
    unique_id: `${id}_alert_threshold`,
    name: 'Alert threshold',
    state_topic: status,
    value_template: '{{ value_json.seuil_alerte }}',
    command_topic: set,
    command_template: '{"seuil_alerte": {{ value | float }}}',
    min: THRESHOLD_MIN_C,
    max: THRESHOLD_MAX_C,
    step: 0.5,
    unit_of_measurement: '°C',
    device_class: 'temperature',
    mode: 'box',
    entity_category: 'config',
  };
  components.active = {
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
  };
  components.read_now = {
    platform: 'button',
    unique_id: `${id}_read_now`,
    name: 'Read now',
    command_topic: set,
    payload_press: '{"read_now": true}',
  };
  if (inputs.calibration) Object.assign(components, calibrationComponents(id, source, status, set));
  components.firmware = firmwareComponent(inputs, status, set);
  return {
    device: {
      identifiers: [id],
      name: id,
      manufacturer: MANUFACTURER,
      model: source === null ? 'Sensor node' : MODELS[source],
      ...(inputs.firmware === null ? {} : { sw_version: inputs.firmware }),
    },
    origin: context.origin,
    availability_topic: topics.availability(id),
    payload_available: 'online',
    payload_not_available: 'offline',
    qos: 1,
    components,
  };
}

/**
 * The calibration as numbers (README, Calibration): the offsets carry no device class, since Home Assistant
 * would convert an offset as if it were a temperature; the humidity offset is left out for a BMP280.
 */
function calibrationComponents(
  id: string,
  source: SensorSource | null,
  status: string,
  set: string,
): Record<string, Component> {
  const setting = (
    key: string,
    name: string,
    field: string,
    max: number,
    unit: string,
    min = -max,
    step = 0.1,
  ) => ({
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
    mode: 'box',
    entity_category: 'config',
  });
  const components: Record<string, Component> = {
    temperature_offset: setting(
      'temperature_offset',
      'Temperature offset',
      'correction_temperature',
      TEMPERATURE_CORRECTION_MAX_C,
      '°C',
    ),
  };
  if (source !== 'bmp280') {
    components.humidity_offset = setting(
      'humidity_offset',
      'Humidity offset',
      'correction_humidite',
      HUMIDITY_CORRECTION_MAX_RH,
      '%',
    );
  }
  components.pressure_offset = setting(
    'pressure_offset',
    'Pressure offset',
    'correction_pression',
    PRESSURE_CORRECTION_MAX_HPA,
    'hPa',
  );
  components.altitude = setting('altitude', 'Altitude', 'altitude', ALTITUDE_MAX_M, 'm', ALTITUDE_MIN_M, 1);
  return components;
}

/**
 * The firmware as an `update` entity: installed version and progress from the status's `firmware` and
 * `ota`, the latest version the one offered (written into the template: it changes only with the offer,
 * which republishes the discovery); Install sends `{"update_firmware": <latest>}` through the bridge.
 */
function firmwareComponent(inputs: DiscoveryInputs, status: string, set: string): Component {
  const latest = inputs.latestFirmware;
  const updating = `value_json.ota.state in ${JSON.stringify(UPDATING).replaceAll('"', "'")}`;
  const latestPart = latest === null ? 'value_json.firmware' : `'${latest}'`;
  return {
    platform: 'update',
    unique_id: `${inputs.deviceId}_firmware`,
    name: 'Firmware',
    device_class: 'firmware',
    state_topic: status,
    value_template: `{{ {'installed_version': value_json.firmware, 'latest_version': ${latestPart}, 'in_progress': ${updating}} | to_json }}`,
    ...(latest === null
      ? {}
      : { command_topic: set, payload_install: JSON.stringify({ update_firmware: latest }) }),
    entity_category: 'config',
  };
}

import type { HaTopics, SensorSource, Topics } from '@fleet/shared';
import type { DeviceSummary } from '../api-types.js';
import {
  type Component,
  calibrationComponents,
  componentsFor,
  controlComponents,
} from './discovery-components.js';

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
  const shapes = componentsFor(id, data, status, set);
  const components: Record<string, Component> = {
    temperature: shapes.measurement('temperature', 'Temperature', 'temperature', 'temperature', '°C', 1),
  };
  if (source !== 'bmp280') {
    components.humidity = shapes.measurement('humidity', 'Humidity', 'humidite', 'humidity', '%', 1);
  }
  components.pressure = shapes.measurement(
    'pressure',
    'Pressure',
    'pression',
    'atmospheric_pressure',
    'hPa',
    1,
  );
  components.battery = shapes.measurement('battery', 'Battery', 'batterie', 'battery', '%', 0);
  Object.assign(components, controlComponents(shapes, status, set));
  if (inputs.calibration) Object.assign(components, calibrationComponents(shapes, source));
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

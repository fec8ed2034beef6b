import { commandSchema, HaTopics, Topics } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import {
  type DiscoveryInputs,
  discoveryKey,
  discoveryPayload,
} from '../../src/homeassistant/discovery-payload.js';
import { compareFirmware, latestFirmware } from '../../src/homeassistant/latest-firmware.js';
import { DEVICE_DISCOVERY, discoveryProblems } from './discovery-schema.js';

const context = {
  topics: new Topics('home/sensors'),
  ha: new HaTopics('homeassistant'),
  origin: { name: 'balena sensor fleet dashboard', sw: '1.0.0' },
};

const bme: DiscoveryInputs = {
  deviceId: 'pi-1',
  source: 'bme280',
  firmware: 'v1.0.0',
  latestFirmware: 'v1.2.0',
  calibration: false,
};

type Components = Record<string, Record<string, unknown>>;
const componentsOf = (payload: Record<string, unknown>) => payload.components as Components;

describe('device discovery payload', () => {
  it('is valid against the documented schema for each sensor and for an unknown one', () => {
    for (const source of ['bme280', 'bmp280', 'synthetic', null] as const) {
      const payload = discoveryPayload({ ...bme, source }, context);
      expect(discoveryProblems(payload), String(source)).toEqual([]);
    }
    expect(
      discoveryProblems(discoveryPayload({ ...bme, firmware: null, latestFirmware: null }, context)),
    ).toEqual([]);
  });

  it('would be refused by the same check when a required key is missing or a unit does not fit', () => {
    const payload = discoveryPayload(bme, context);
    const { origin: _origin, ...withoutOrigin } = payload;
    expect(discoveryProblems(withoutOrigin)).toContain('missing origin/o');
    const broken = structuredClone(payload);
    (componentsOf(broken).pressure as Record<string, unknown>).unit_of_measurement = '°C';
    delete (componentsOf(broken).mode as Record<string, unknown>).command_topic;
    expect(discoveryProblems(broken)).toEqual([
      "pressure: unit °C is not one of atmospheric_pressure's",
      'mode: missing command_topic',
    ]);
  });

  it('has every entity the issue lists, with stable unique ids, reading the contract topics', () => {
    const components = componentsOf(discoveryPayload(bme, context));
    expect(
      Object.fromEntries(Object.entries(components).map(([key, c]) => [key, [c.platform, c.unique_id]])),
    ).toEqual({
      temperature: ['sensor', 'pi-1_temperature'],
      humidity: ['sensor', 'pi-1_humidity'],
      pressure: ['sensor', 'pi-1_pressure'],
      battery: ['sensor', 'pi-1_battery'],
      alert: ['binary_sensor', 'pi-1_alert'],
      mode: ['select', 'pi-1_mode'],
      interval: ['number', 'pi-1_interval'],
      alert_threshold: ['number', 'pi-1_alert_threshold'],
      active: ['switch', 'pi-1_active'],
      read_now: ['button', 'pi-1_read_now'],
      firmware: ['update', 'pi-1_firmware'],
    });
    for (const key of ['temperature', 'humidity', 'pressure', 'battery']) {
      expect(components[key]).toMatchObject({
        state_topic: 'home/sensors/pi-1/data',
        state_class: 'measurement',
      });
    }
    expect(components.temperature).toMatchObject({ device_class: 'temperature', unit_of_measurement: '°C' });
    expect(components.humidity).toMatchObject({ device_class: 'humidity', unit_of_measurement: '%' });
    expect(components.pressure).toMatchObject({
      device_class: 'atmospheric_pressure',
      unit_of_measurement: 'hPa',
    });
    expect(components.battery).toMatchObject({ device_class: 'battery', unit_of_measurement: '%' });
    expect(components.mode?.options).toEqual(['auto', 'manuel', 'economie']);
    expect(components.interval).toMatchObject({ min: 1, max: 60, step: 1, unit_of_measurement: 's' });
    expect(components.alert_threshold).toMatchObject({ min: 15, max: 45, unit_of_measurement: '°C' });
    for (const [key, component] of Object.entries(components)) {
      if ('command_topic' in component) expect(component.command_topic, key).toBe('home/sensors/pi-1/set');
    }
  });

  it('has the calibration as numbers for a device that reports it, with the contract ranges', () => {
    const components = componentsOf(discoveryPayload({ ...bme, calibration: true }, context));
    expect(discoveryProblems(discoveryPayload({ ...bme, calibration: true }, context))).toEqual([]);
    expect(components.temperature_offset).toMatchObject({ min: -20, max: 20, unit_of_measurement: '°C' });
    expect(components.temperature_offset).not.toHaveProperty('device_class');
    expect(components.humidity_offset).toMatchObject({ min: -20, max: 20, unit_of_measurement: '%' });
    expect(components.pressure_offset).toMatchObject({ min: -50, max: 50, unit_of_measurement: 'hPa' });
    expect(components.altitude).toMatchObject({ min: -500, max: 9000, step: 1, unit_of_measurement: 'm' });
    expect(componentsOf(discoveryPayload(bme, context)).altitude).toBeUndefined();
    const bmp = componentsOf(discoveryPayload({ ...bme, source: 'bmp280', calibration: true }, context));
    expect(bmp.humidity_offset).toBeUndefined();
    expect(discoveryKey({ ...bme, calibration: true })).not.toBe(discoveryKey(bme));
  });

  it('leaves humidity out for a BMP280, which has none', () => {
    expect(componentsOf(discoveryPayload({ ...bme, source: 'bmp280' }, context)).humidity).toBeUndefined();
  });

  it('names the device, its model from the sensor, its firmware, its origin and its availability topic', () => {
    const payload = discoveryPayload(bme, context);
    expect(payload.device).toEqual({
      identifiers: ['pi-1'],
      name: 'pi-1',
      manufacturer: 'balena sensor fleet',
      model: 'BME280 sensor node',
      sw_version: 'v1.0.0',
    });
    expect(payload.origin).toEqual({ name: 'balena sensor fleet dashboard', sw: '1.0.0' });
    expect(payload).toMatchObject({
      availability_topic: 'home/sensors/pi-1/availability',
      payload_available: 'online',
      payload_not_available: 'offline',
    });
    expect(context.ha.deviceConfig('pi-1')).toMatch(/^homeassistant\/device\/[^/]+\/config$/);
    expect(context.ha.deviceConfig('pi.1').split('/')[2]).toMatch(DEVICE_DISCOVERY.objectId);
  });

  it("sends only payloads that the contract's command schema accepts", () => {
    const components = componentsOf(discoveryPayload(bme, context));
    const fixed = [
      components.active?.payload_on,
      components.active?.payload_off,
      components.read_now?.payload_press,
      components.firmware?.payload_install,
    ];
    for (const payload of fixed)
      expect(commandSchema.safeParse(JSON.parse(String(payload))).success, String(payload)).toBe(true);
    expect(JSON.parse(String(components.firmware?.payload_install))).toEqual({ update_firmware: 'v1.2.0' });
  });

  it('offers no install when there is no firmware to offer', () => {
    const firmware = componentsOf(discoveryPayload({ ...bme, latestFirmware: null }, context)).firmware;
    expect(firmware).not.toHaveProperty('payload_install');
    expect(firmware?.value_template).toContain("'latest_version': value_json.firmware");
  });

  it('changes its key with the sensor, firmware or offer, and only then', () => {
    const key = discoveryKey(bme);
    expect(discoveryKey({ ...bme })).toBe(key);
    expect(discoveryKey({ ...bme, source: 'bmp280' })).not.toBe(key);
    expect(discoveryKey({ ...bme, firmware: 'v1.1.0' })).not.toBe(key);
    expect(discoveryKey({ ...bme, latestFirmware: 'v1.3.0' })).not.toBe(key);
  });
});

describe('the firmware offered', () => {
  it('is HA_LATEST_FIRMWARE when set, else the newest version running in the fleet', () => {
    expect(latestFirmware('v2.0.0', ['v3.0.0'])).toBe('v2.0.0');
    expect(latestFirmware(null, ['v1.2.0', null, 'v1.10.0', 'v1.9.9'])).toBe('v1.10.0');
    expect(latestFirmware(null, [null])).toBeNull();
  });

  it('orders versions as semantic versions, a pre-release below its release', () => {
    expect(compareFirmware('v1.10.0', 'v1.9.0')).toBeGreaterThan(0);
    expect(compareFirmware('v1.2.0-beta.1', 'v1.2.0')).toBeLessThan(0);
    expect(compareFirmware('v1.2.0', 'v1.2.0')).toBe(0);
  });
});

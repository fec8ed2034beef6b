import type { Logger, MqttTransportOptions, OtaStatus, Topics } from '@fleet/shared';
import type { DeviceClock } from '../clock/types.js';
import type { AlertLed } from '../gpio/types.js';
import { DeviceLink, type DeviceLinkOptions } from '../mqtt/device-link.js';
import { GuardedSensor } from '../sensor/sensor-health.js';
import type { SensorSearch } from '../sensor/sensor-search.js';
import type { SensorReader } from '../sensor/types.js';
import { Device, type DeviceOptions, type ReadingStamps } from './device.js';
import type { DeviceStorage } from './ports.js';
import type { EdgeSettings } from './settings.js';

/** The parts of one device that differ between the edge service and the fleet simulator. */
export interface DevicePorts {
  deviceId: string;
  /** The fleet's topics, under MQTT_TOPIC_ROOT. */
  topics: Topics;
  /** Host, port, TLS and login, from mqttTransportOptions(). */
  transport: MqttTransportOptions;
  logger: Logger;
  clock: DeviceClock;
  /** The sensor: a BME280, or the synthetic model. */
  reader: SensorReader;
  /** With SENSOR=auto and no chip at start: the search for one wired later (sensorSearch()). */
  search?: SensorSearch | null;
  led: AlertLed;
  /** The state, the outbox and the memory of commands: EdgeStore (SQLite) on a device. */
  storage: DeviceStorage;
  /** What the device starts with (resolveStartupState). */
  startup: { firmware: string; settings: EdgeSettings; ota: OtaStatus | null };
  stamps?: ReadingStamps;
  /** Overrides for the MQTT link (e.g. shorter reconnect delays in tests). */
  link?: Partial<Pick<DeviceLinkOptions, 'initialReconnectMs' | 'maxReconnectMs' | 'stopTimeoutMs'>>;
  /** Overrides for the device (e.g. a faster simulated OTA in tests). */
  device?: Partial<Pick<DeviceOptions, 'otaStepMs' | 'alertHysteresis' | 'publishWindow'>>;
}

/**
 * Wires one device: its MQTT link (client id `edge-<id>`, persistent session), its guarded sensor and the
 * device logic over the given storage. Nothing is opened or started.
 */
export function composeDevice(ports: DevicePorts): { device: Device; link: DeviceLink } {
  const { deviceId, topics, logger, clock } = ports;
  const link = new DeviceLink({ deviceId, topics, transport: ports.transport, logger, clock, ...ports.link });
  const sensor = new GuardedSensor(ports.reader, {
    logger: logger.child({ component: 'sensor' }),
    search: ports.search ?? null,
  });
  const device = new Device({
    deviceId,
    logger,
    clock,
    topics,
    link,
    sensor,
    led: ports.led,
    storage: ports.storage,
    startup: ports.startup,
    ...(ports.stamps ? { stamps: ports.stamps } : {}),
    ...ports.device,
  });
  return { device, link };
}

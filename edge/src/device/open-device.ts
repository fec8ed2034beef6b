import { type Logger, mqttTransportOptions, Topics } from '@fleet/shared';
import { ReadingRestamper } from '../clock/reading-restamper.js';
import type { DeviceClock } from '../clock/types.js';
import type { EdgeConfig } from '../config.js';
import type { AlertLed } from '../gpio/types.js';
import type { DeviceLink } from '../mqtt/device-link.js';
import type { SensorSearch } from '../sensor/sensor-search.js';
import type { SensorReader } from '../sensor/types.js';
import { EdgeStore } from '../storage/edge-store.js';
import { composeDevice, type DevicePorts } from './compose-device.js';
import type { Device } from './device.js';

export interface OpenDeviceOptions {
  config: EdgeConfig;
  logger: Logger;
  /** The device's clock (SystemDeviceClock in the service). */
  clock: DeviceClock;
  /** From selectSensor(). */
  reader: SensorReader;
  /** From sensorSearch(): with SENSOR=auto and no chip at start, the search for one wired later. */
  search?: SensorSearch | null;
  /** From createAlertLed(). */
  led: AlertLed;
  /** Overrides for the MQTT link (e.g. shorter reconnect delays in tests). */
  link?: DevicePorts['link'];
  /** Overrides for the device (e.g. a faster simulated OTA in tests). */
  device?: DevicePorts['device'];
}

export interface OpenedDevice {
  device: Device;
  link: DeviceLink;
  store: EdgeStore;
}

/**
 * Opens what the device kept on disk (`<DATA_DIR>/edge.db`: state, outbox, recent commands; the previous
 * release's files are imported) and wires a Device over it: the persisted firmware, settings and OTA status,
 * except where the environment changed since the last start, and the epoch readings are counted in. The
 * start of the run is written before anything else happens. Nothing is started.
 */
export async function openDevice(options: OpenDeviceOptions): Promise<OpenedDevice> {
  const { config, logger, clock } = options;
  // First, so that an unreadable MQTT_CA_CERT file stops the start before anything is opened.
  const transport = await mqttTransportOptions(config.mqtt);
  const store = await EdgeStore.open({ config, clock, logger });
  const { device, link } = composeDevice({
    deviceId: config.deviceId,
    topics: new Topics(config.topicRoot),
    transport,
    logger,
    clock,
    reader: options.reader,
    search: options.search ?? null,
    led: options.led,
    storage: store,
    startup: store.startup,
    stamps: new ReadingRestamper(clock, config.outboxMax),
    ...(options.link ? { link: options.link } : {}),
    ...(options.device ? { device: options.device } : {}),
  });
  return { device, link, store };
}

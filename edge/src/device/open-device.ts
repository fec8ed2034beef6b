import { type Logger, mqttTransportOptions, Topics } from '@fleet/shared';
import { ReadingRestamper } from '../clock/reading-restamper.js';
import type { DeviceClock } from '../clock/types.js';
import type { EdgeConfig } from '../config.js';
import type { AlertLed } from '../gpio/types.js';
import { DeviceLink, type DeviceLinkOptions } from '../mqtt/device-link.js';
import { GuardedSensor } from '../sensor/sensor-health.js';
import type { SensorReader } from '../sensor/types.js';
import { EdgeStore } from '../storage/edge-store.js';
import { Device, type DeviceOptions } from './device.js';

export interface OpenDeviceOptions {
  config: EdgeConfig;
  logger: Logger;
  /** The device's clock (SystemDeviceClock in the service). */
  clock: DeviceClock;
  /** From selectSensor(). */
  reader: SensorReader;
  /** From createAlertLed(). */
  led: AlertLed;
  /** Overrides for the MQTT link (e.g. shorter reconnect delays in tests). */
  link?: Partial<Pick<DeviceLinkOptions, 'initialReconnectMs' | 'maxReconnectMs' | 'stopTimeoutMs'>>;
  /** Overrides for the device (e.g. a faster simulated OTA in tests). */
  device?: Partial<Pick<DeviceOptions, 'otaStepMs' | 'alertHysteresis' | 'publishWindow'>>;
}

export interface OpenedDevice {
  device: Device;
  link: DeviceLink;
  store: EdgeStore;
  /** The store's outbox (readings waiting for the broker). */
  outbox: EdgeStore['outbox'];
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
  const topics = new Topics(config.topicRoot);
  const link = new DeviceLink({
    deviceId: config.deviceId,
    topics,
    transport,
    logger,
    clock,
    ...options.link,
  });
  const sensor = new GuardedSensor(options.reader, { logger: logger.child({ component: 'sensor' }) });
  const device = new Device({
    deviceId: config.deviceId,
    logger,
    clock,
    topics,
    link,
    sensor,
    led: options.led,
    storage: store,
    startup: store.startup,
    stamps: new ReadingRestamper(clock, config.outboxMax),
    ...options.device,
  });
  return { device, link, store, outbox: store.outbox };
}

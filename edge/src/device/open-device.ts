import { type Logger, mqttTransportOptions, Topics } from '@fleet/shared';
import type { DeviceClock } from '../clock/types.js';
import type { EdgeConfig } from '../config.js';
import type { AlertLed } from '../gpio/types.js';
import { DeviceLink, type DeviceLinkOptions } from '../mqtt/device-link.js';
import { FileOutbox } from '../outbox/file-outbox.js';
import { GuardedSensor } from '../sensor/sensor-health.js';
import type { SensorReader } from '../sensor/types.js';
import { DeviceStateStore, resolveStartupState, type StartupState } from '../state/device-state.js';
import { SeqCounter } from '../state/seq-counter.js';
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
  outbox: FileOutbox;
  startup: StartupState;
}

/**
 * Loads what the device kept on disk (state and outbox) and wires a Device over it: the persisted firmware,
 * settings, seq mark and OTA status, except where the environment changed since the last start. The
 * resolved state is written back before anything else happens. Nothing is started.
 */
export async function openDevice(options: OpenDeviceOptions): Promise<OpenedDevice> {
  const { config, logger, clock } = options;
  // First, so that an unreadable MQTT_CA_CERT file stops the start before anything is opened.
  const transport = await mqttTransportOptions(config.mqtt);
  const store = new DeviceStateStore(config.dataDir, logger.child({ component: 'state' }));
  const persisted = await store.load();
  const startup = resolveStartupState(persisted, config, { clock, seqFloor: store.seqFloor });
  await store.save({
    firmware: startup.firmware,
    settings: startup.settings,
    envSnapshot: startup.envSnapshot,
    seqNext: startup.seqNext,
    ota: startup.ota,
  });
  const seq = new SeqCounter({
    start: startup.seqNext,
    reserve: async (mark) => {
      await store.update({ seqNext: mark });
    },
  });
  const outbox = new FileOutbox({
    dir: config.dataDir,
    max: config.outboxMax,
    logger: logger.child({ component: 'outbox' }),
  });
  await outbox.open();
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
    outbox,
    state: store,
    seq,
    startup,
    ...options.device,
  });
  return { device, link, outbox, startup };
}

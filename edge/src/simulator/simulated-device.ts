import type { Logger, MqttTransportOptions, Topics } from '@fleet/shared';
import type { DeviceClock } from '../clock/types.js';
import { composeDevice, type DevicePorts } from '../device/compose-device.js';
import type { Device } from '../device/device.js';
import type { EdgeSettings } from '../device/settings.js';
import { NO_LED } from '../gpio/alert-led.js';
import type { DeviceLink } from '../mqtt/device-link.js';
import { createSyntheticSensor } from '../sensor/synthetic.js';
import { MemoryStorage } from './memory-storage.js';

/** The wall clock, taken as synchronised (the simulator runs on a machine with NTP), and a monotonic one. */
export const simulatorClock: DeviceClock = {
  now: () => new Date(),
  monotonicMs: () => performance.now(),
  synced: () => true,
};

export interface SimulatedDeviceOptions {
  deviceId: string;
  topics: Topics;
  /** The broker, with this device's login. */
  transport: MqttTransportOptions;
  logger: Logger;
  settings: EdgeSettings;
  firmware: string;
  clock?: DeviceClock;
  /** Overrides for the device (e.g. a faster OTA in tests). */
  device?: DevicePorts['device'];
  link?: DevicePorts['link'];
}

export interface SimulatedDevice {
  id: string;
  device: Device;
  link: DeviceLink;
  storage: MemoryStorage;
}

/**
 * One simulated device: the edge's device logic and MQTT link (composeDevice), with the synthetic sensor,
 * no LED and its state in memory. Nothing is started.
 */
export function simulatedDevice(options: SimulatedDeviceOptions): SimulatedDevice {
  const clock = options.clock ?? simulatorClock;
  const storage = new MemoryStorage();
  const { device, link } = composeDevice({
    deviceId: options.deviceId,
    topics: options.topics,
    transport: options.transport,
    logger: options.logger,
    clock,
    reader: createSyntheticSensor({ clock }),
    led: NO_LED,
    storage,
    startup: { firmware: options.firmware, settings: options.settings, ota: null },
    ...(options.device ? { device: options.device } : {}),
    ...(options.link ? { link: options.link } : {}),
  });
  return { id: options.deviceId, device, link, storage };
}

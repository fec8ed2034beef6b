export {
  CLOCK_SYNC_SOURCES,
  ClockFloor,
  type ClockSyncSource,
  type DeviceClock,
  ReadingRestamper,
  SystemDeviceClock,
} from './clock/index.js';
export {
  DEFAULT_BROKER_HOST,
  DEFAULT_FIRMWARE_VERSION,
  type EdgeConfig,
  edgeEnvSpec,
  loadEdgeConfig,
} from './config.js';
export { AlertState } from './device/alert-state.js';
export { BatteryModel } from './device/battery-model.js';
export { CommandHandler, type CommandTarget } from './device/command-handler.js';
export { Device, type DeviceOptions } from './device/device.js';
export { buildAck, buildOnlineStatus, buildTelemetry } from './device/message-builders.js';
export { type OpenDeviceOptions, type OpenedDevice, openDevice } from './device/open-device.js';
export type { HealthySensor, StateWriter, TelemetryQueue } from './device/ports.js';
export { ECONOMY_FACTOR, ReadingScheduler, readingPeriodMs } from './device/reading-scheduler.js';
export { TelemetryPublisher } from './device/telemetry-publisher.js';
export { type AlertLed, createAlertLed } from './gpio/index.js';
export { DeviceLink, type DeviceLinkOptions } from './mqtt/device-link.js';
export type { LinkStats, MessageLink, PublishOptions } from './mqtt/types.js';
export { OtaSimulator } from './ota/ota-simulator.js';
export { FileOutbox } from './outbox/file-outbox.js';
export {
  GuardedSensor,
  type Reading,
  type SensorReader,
  SensorUnavailableError,
  selectSensor,
} from './sensor/index.js';
export { DeviceStateStore, resolveStartupState } from './state/device-state.js';
export { SeqCounter } from './state/seq-counter.js';

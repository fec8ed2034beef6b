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
export {
  CommandHandler,
  type CommandPlan,
  CommandRefusal,
  type CommandTarget,
} from './device/command-handler.js';
export { Device, type DeviceOptions, type ReadingStamps } from './device/device.js';
export { buildAck, buildOnlineStatus, buildTelemetry } from './device/message-builders.js';
export { type OpenDeviceOptions, type OpenedDevice, openDevice } from './device/open-device.js';
export type { DeviceStorage, HealthySensor, TelemetryQueue } from './device/ports.js';
export { ECONOMY_FACTOR, ReadingScheduler, readingPeriodMs } from './device/reading-scheduler.js';
export { TelemetryPublisher } from './device/telemetry-publisher.js';
export { type AlertLed, createAlertLed } from './gpio/index.js';
export { DeviceLink, type DeviceLinkOptions } from './mqtt/device-link.js';
export type { LinkStats, MessageLink, PublishOptions } from './mqtt/types.js';
export { OtaSimulator } from './ota/ota-simulator.js';
export { type ReadingIdentity, SqliteOutbox } from './outbox/sqlite-outbox.js';
export {
  GuardedSensor,
  type Reading,
  type SensorReader,
  SensorUnavailableError,
  selectSensor,
} from './sensor/index.js';
export { CommandMemory } from './state/command-memory.js';
export { type PersistedState, StateStore } from './state/device-state.js';
export { decideEpoch, newEpoch } from './state/epoch.js';
export { resolveStartupState } from './state/startup-state.js';
export { EDGE_DB_FILE, openEdgeDatabase } from './storage/edge-database.js';
export { EdgeStore } from './storage/edge-store.js';

export { ClockFloor, FIRMWARE_RELEASE_DATE, LAST_SYNCED_FILE } from './clock-floor.js';
export { type KernelTimeState, parseAdjtimexPrint, readKernelTimeState } from './kernel-time.js';
export { ReadingRestamper } from './reading-restamper.js';
export { CLOCK_SYNC_SOURCES, type ClockSyncSource, SystemDeviceClock } from './system-device-clock.js';
export type { DeviceClock } from './types.js';

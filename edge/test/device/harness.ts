import { createLogger, type DeviceSettings, systemClock } from '@fleet/shared';
import { Device, type DeviceOptions } from '../../src/device/device.js';
import type { PersistedState } from '../../src/state/device-state.js';
import { counter, FakeLed, FakeLink, FakeSensor, MemoryOutbox, MemoryState } from './fakes.js';

export const DEVICE_ID = 'dev-1';

export const DEFAULT_SETTINGS: DeviceSettings = {
  mode: 'auto',
  intervalle: 5,
  seuil_alerte: 30,
  actif: true,
};

export function persistedState(settings: Partial<DeviceSettings> = {}): PersistedState {
  return {
    firmware: 'v1.0.0',
    settings: { ...DEFAULT_SETTINGS, ...settings },
    envSnapshot: { firmware: 'v1.0.0', mode: 'auto', intervalle: 5, seuil_alerte: 30 },
    seqNext: 0,
    ota: null,
  };
}

export interface Harness {
  device: Device;
  link: FakeLink;
  sensor: FakeSensor;
  outbox: MemoryOutbox;
  state: MemoryState;
  led: FakeLed;
}

/** A Device over in-memory fakes. Use with vi.useFakeTimers(): the system clock is then the fake one. */
export function makeDevice(
  settings: Partial<DeviceSettings> = {},
  options: Partial<Pick<DeviceOptions, 'otaStepMs' | 'publishWindow'>> = {},
): Harness {
  const link = new FakeLink(DEVICE_ID);
  const sensor = new FakeSensor();
  const outbox = new MemoryOutbox();
  const state = new MemoryState(persistedState(settings));
  const led = new FakeLed();
  const device = new Device({
    deviceId: DEVICE_ID,
    logger: createLogger('edge-test', 'silent'),
    clock: systemClock,
    link,
    sensor,
    led,
    outbox,
    state,
    seq: counter(),
    startup: { firmware: state.state.firmware, settings: state.state.settings, ota: null },
    ...options,
  });
  return { device, link, sensor, outbox, state, led };
}

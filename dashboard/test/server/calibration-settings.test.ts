import type { DevicesResponse } from '@fleet/dashboard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ack, onlineStatus } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

/** A device's calibration (settings of this release's devices, absent from older ones) reaches the API. */
describe("HTTP API: a device's calibration", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const settingsOf = async (id: string) => {
    const response = await h.dashboard.app.inject({ method: 'GET', url: '/api/devices' });
    expect(response.statusCode).toBe(200);
    return (response.json() as DevicesResponse).devices.find((device) => device.device_id === id)?.settings;
  };
  const base = { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true } as const;
  const calibration = {
    correction_temperature: -1.2,
    correction_humidite: 3,
    correction_pression: 0.5,
    altitude: 420,
  };

  it('takes it from the status and from acks, and leaves it out for a device that does not report it', async () => {
    h.deliver('devices/pi-1/status', onlineStatus('pi-1', calibration));
    h.deliver('devices/pi-2/status', onlineStatus('pi-2'));
    expect(await settingsOf('pi-1')).toEqual({ ...base, ...calibration });
    expect(await settingsOf('pi-2')).toEqual(base);

    h.deliver('devices/pi-1/ack', ack('pi-1', 'c-1', { settings: { ...base, ...calibration, altitude: 0 } }));
    expect(await settingsOf('pi-1')).toEqual({ ...base, ...calibration, altitude: 0 });
  });
});

import { createLogger, Topics } from '@fleet/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NO_CALIBRATION } from '../../src/device/settings.js';
import { FleetSimulator } from '../../src/simulator/fleet-simulator.js';

const logger = createLogger('simulator-test', 'silent');

describe('FleetSimulator start', () => {
  let fleet: FleetSimulator | null = null;
  afterEach(async () => {
    vi.useRealTimers();
    await fleet?.stop();
    fleet = null;
  });

  it('starts `rate` devices per second, not all at once', async () => {
    // Only the start's own timer is faked: the devices' links try a port where nothing listens, on real timers.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let now = 0;
    const ids = Array.from({ length: 25 }, (_, index) => `rate-${index}`);
    fleet = new FleetSimulator({
      ids,
      topics: new Topics(),
      transportFor: () => ({ host: '127.0.0.1', port: 9, protocol: 'mqtt' }),
      settings: { mode: 'manuel', intervalle: 5, seuil_alerte: 30, actif: true, ...NO_CALIBRATION },
      firmware: 'v1.0.0',
      rate: 10,
      logger,
      deviceLogger: () => logger,
      now: () => now,
    });
    let allStarted = false;
    void fleet.started.then(() => {
      allStarted = true;
    });
    fleet.start();
    expect(fleet.stats().started).toBe(1);
    now = 1_000;
    vi.advanceTimersByTime(50);
    expect(fleet.stats().started).toBe(11);
    now = 2_000;
    vi.advanceTimersByTime(50);
    expect(fleet.stats().started).toBe(21);
    await Promise.resolve();
    expect(allStarted).toBe(false);
    now = 2_400;
    vi.advanceTimersByTime(50);
    expect(fleet.stats()).toMatchObject({ devices: 25, started: 25, connected: 0 });
    await fleet.started;
    expect(fleet.devices.map((device) => device.id)).toEqual(ids);
  });
});

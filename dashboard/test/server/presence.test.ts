import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { offlineStatus, onlineStatus, telemetry } from './fixtures.js';
import { type IngestParts, ingestParts } from './ingest-parts.js';

const c2Status = (overrides = {}) =>
  onlineStatus('pi-1', {
    v: 2,
    epoch: 'a1b2',
    epoch_reason: 'unclean_stop',
    clock_synced: true,
    ...overrides,
  });

describe('presence and the device summary, by contract', () => {
  let p: IngestParts;
  beforeEach(async () => {
    p = await ingestParts();
  });
  afterEach(async () => {
    await p.close();
  });

  it('takes a contract 2 device online and offline from its availability topic, keeping its last state while offline', async () => {
    const online: boolean[] = [];
    p.events.on('device', (summary) => online.push(summary.online));
    await p.handle('devices/pi-1/status', c2Status(), true);
    await p.handle('devices/pi-1/availability', 'online', true);
    expect(p.fleet.summary('pi-1')).toMatchObject({
      online: true,
      epoch: 'a1b2',
      epoch_reason: 'unclean_stop',
      clock_synced: true,
      firmware: 'v1.0.0',
    });
    // Its last will: availability offline; the retained status stays the last known state.
    p.clock.advance(60_000);
    await p.handle('devices/pi-1/availability', 'offline');
    expect(p.fleet.summary('pi-1')).toMatchObject({
      online: false,
      epoch: 'a1b2',
      sensor: { healthy: true },
      settings: { mode: 'auto' },
      last_seen: '2025-03-01T12:00:00.000Z',
    });
    await p.handle('devices/pi-1/availability', 'online');
    expect(p.fleet.summary('pi-1')).toMatchObject({ online: true, last_seen: '2025-03-01T12:01:00.000Z' });
    expect(online).toEqual([true, true, false, true]);
    const presence = p.log.lines.filter(
      (line) => line.msg === 'Device online' || line.msg === 'Device offline',
    );
    expect(presence.map((line) => line.msg)).toEqual(['Device online', 'Device offline', 'Device online']);
  });

  it('takes a contract 1 device (no v in its status) online and offline from its status and its last will there', async () => {
    await p.handle('devices/pi-1/status', onlineStatus('pi-1'));
    await p.handle('devices/pi-1/data', telemetry());
    expect(p.fleet.summary('pi-1')).toMatchObject({
      online: true,
      epoch: null,
      epoch_reason: null,
      clock_synced: null,
      delivery: { received: 1, lost: 0, conflicts: 0 },
    });
    await p.handle('devices/pi-1/status', offlineStatus('pi-1'));
    expect(p.fleet.summary('pi-1')).toMatchObject({
      online: false,
      firmware: 'v1.0.0',
      sensor: { healthy: true },
    });
  });

  it('follows a device back to contract 1 (a rolled back update): a stale retained availability no longer decides', async () => {
    await p.handle('devices/pi-1/status', c2Status());
    await p.handle('devices/pi-1/availability', 'online');
    await p.handle('devices/pi-1/status', onlineStatus('pi-1'));
    await p.handle('devices/pi-1/status', offlineStatus('pi-1'));
    expect(p.fleet.summary('pi-1')).toMatchObject({ online: false, epoch: null });
  });

  it('keeps the availability across a restart', async () => {
    await p.handle('devices/pi-1/status', c2Status());
    await p.handle('devices/pi-1/availability', 'offline');
    p.registry.stop(); // a clean stop writes the registry
    const { DashboardEvents, Fleet } = await import('@fleet/dashboard');
    const reloaded = new Fleet({ store: p.store, events: new DashboardEvents(), logger: p.log.logger });
    reloaded.load();
    expect(reloaded.summary('pi-1')).toEqual(p.fleet.summary('pi-1'));
    expect(reloaded.summary('pi-1')?.online).toBe(false);
  });
});

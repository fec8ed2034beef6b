import { describe, expect, it } from 'vitest';
import { WatchedDevice } from '../web/store.js';
import type { Ack, DeviceSummary, FleetRow } from '../web/types.js';

const summary = (id: string, received: number): DeviceSummary => ({
  device_id: id,
  online: true,
  last_seen: '2026-12-01T10:00:00.000Z',
  firmware: 'v1.0.0',
  settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
  ota: null,
  sensor: null,
  alerte: false,
  latest: null,
  delivery: { received, lost: 0, conflicts: 0 },
  epoch: 'e1',
  epoch_reason: 'first_start',
  clock_synced: true,
});

const row: FleetRow = {
  device_id: 'pi-2',
  online: true,
  alerte: true,
  last_seen: '2026-12-01T10:00:05.000Z',
  firmware: 'v1.1.0',
  temperature: 31,
  humidite: 40,
  pression: 1000,
  batterie: 80,
  lost: 2,
};

describe("the page's watched device", () => {
  it("shows a provisional summary from the fleet row until the server's summary comes", () => {
    const watched = new WatchedDevice(() => 0);
    let heard = 0;
    watched.subscribe(() => heard++);
    watched.watch('pi-2', row);
    expect(watched.waiting).toBe(true);
    expect(watched.summary).toMatchObject({
      device_id: 'pi-2',
      online: true,
      alerte: true,
      firmware: 'v1.1.0',
      last_seen: row.last_seen,
      latest: null,
      settings: null,
    });
    watched.set(summary('pi-2', 7));
    expect(watched.waiting).toBe(false);
    expect(watched.summary?.delivery.received).toBe(7);
    expect(heard).toBe(2);
  });

  it("ignores another device's summary (a late event of the stream it watched before)", () => {
    const watched = new WatchedDevice(() => 0);
    watched.watch('pi-1', undefined);
    watched.set(summary('pi-1', 3));
    watched.watch('pi-2', row);
    watched.set(summary('pi-1', 4));
    expect(watched.deviceId).toBe('pi-2');
    expect(watched.waiting).toBe(true);
    expect(watched.summary?.delivery.received).toBe(0);
  });

  it("applies a command's ack to the watched device only, and forgets everything on clear", () => {
    const watched = new WatchedDevice(() => 0);
    watched.watch('pi-1', undefined);
    watched.set(summary('pi-1', 3));
    const ack: Ack = {
      device_id: 'pi-1',
      command_id: 'c1',
      status: 'applied',
      error: null,
      settings: { mode: 'manuel', intervalle: 9, seuil_alerte: 30, actif: true },
      firmware: 'v1.0.0',
      timestamp: '2026-12-01T10:00:06.000Z',
    };
    watched.applyAck({ ...ack, device_id: 'pi-9' });
    expect(watched.summary?.settings?.intervalle).toBe(5);
    watched.applyAck(ack);
    expect(watched.summary?.settings?.intervalle).toBe(9);
    watched.clear();
    expect(watched.summary).toBeNull();
    expect(watched.waiting).toBe(false);
  });

  it("keeps an applied ack's settings over an older summary read after it, until one agrees or the hold ends", () => {
    let now = 1_000;
    const watched = new WatchedDevice(() => now);
    watched.watch('pi-1', undefined);
    watched.set(summary('pi-1', 3));
    const ack: Ack = {
      device_id: 'pi-1',
      command_id: 'c2',
      status: 'applied',
      error: null,
      settings: { mode: 'auto', intervalle: 9, seuil_alerte: 30, actif: true },
      firmware: 'v1.0.0',
      timestamp: '2026-12-01T10:00:06.000Z',
    };
    watched.applyAck(ack);
    // A summary the server sent before the ack, read after the command's answer: its settings are older.
    watched.set(summary('pi-1', 4));
    expect(watched.summary?.settings?.intervalle).toBe(9);
    expect(watched.summary?.delivery.received).toBe(4);
    // The summary that carries the ack ends the hold: what the server says next is shown as it is.
    watched.set({ ...summary('pi-1', 5), settings: ack.settings });
    watched.set(summary('pi-1', 6));
    expect(watched.summary?.settings?.intervalle).toBe(5);
    // Without an agreeing summary, the hold ends after ACK_HOLD_MS (another user's change shows then).
    watched.applyAck(ack);
    now += 5_001;
    watched.set(summary('pi-1', 7));
    expect(watched.summary?.settings?.intervalle).toBe(5);
  });
});

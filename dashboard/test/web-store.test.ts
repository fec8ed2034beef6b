import { describe, expect, it } from 'vitest';
import { DeviceStore } from '../web/store.js';
import type { DeviceSummary } from '../web/types.js';

const summary = (id: string, received: number): DeviceSummary => ({
  device_id: id,
  online: true,
  last_seen: '2026-12-01T10:00:00.000Z',
  firmware: 'v1.0.0',
  settings: null,
  ota: null,
  sensor: null,
  alerte: false,
  latest: null,
  delivery: { received, lost: 0, conflicts: 0 },
  epoch: 'e1',
  epoch_reason: 'first_start',
  clock_synced: true,
});

describe("the page's device store", () => {
  it('keeps a figure that came as an event while the list was being fetched, over the older list', () => {
    const store = new DeviceStore();
    store.beginLoad();
    store.upsert(summary('pi-1', 7)); // the event, handled before the list's answer
    store.replaceAll([summary('pi-1', 2), summary('pi-2', 1)]); // the list, computed before the event
    expect(store.get('pi-1')?.delivery.received).toBe(7);
    expect(store.get('pi-2')?.delivery.received).toBe(1);
    // Once no fetch is under way, a new list is taken as it is.
    store.beginLoad();
    store.replaceAll([summary('pi-1', 9)]);
    expect(store.list().map((device) => device.delivery.received)).toEqual([9]);
  });

  it('keeps the events of every fetch still under way, and forgets them once none is', () => {
    const store = new DeviceStore();
    store.beginLoad();
    store.beginLoad();
    store.upsert(summary('pi-1', 5));
    store.abortLoad(); // one fetch failed
    store.replaceAll([summary('pi-1', 3)]);
    expect(store.get('pi-1')?.delivery.received).toBe(5);
    store.upsert(summary('pi-1', 6));
    store.beginLoad();
    store.replaceAll([summary('pi-1', 4)]);
    expect(store.get('pi-1')?.delivery.received).toBe(4);
  });
});

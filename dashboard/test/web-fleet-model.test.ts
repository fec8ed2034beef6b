import { describe, expect, it } from 'vitest';
import { FleetModel } from '../web/fleet-model.js';
import type { FleetCounts, FleetRow } from '../web/types.js';

const row = (id: string, overrides: Partial<FleetRow> = {}): FleetRow => ({
  device_id: id,
  online: true,
  alerte: false,
  last_seen: '2026-12-01T10:00:00.000Z',
  firmware: 'v1.0.0',
  temperature: 21,
  humidite: 40,
  pression: 1000,
  batterie: 90,
  lost: 0,
  ...overrides,
});
const counts = (devices: number): FleetCounts => ({ devices, online: devices, offline: 0, alerting: 0 });

describe("the page's fleet model", () => {
  it('orders device ids as people read them (pi-2 before pi-10), whatever order the server sends', () => {
    const model = new FleetModel();
    expect(model.loaded).toBe(false);
    model.apply({ full: true, counts: counts(4), rows: [row('pi-10'), row('Pi-3'), row('pi-2'), row('a')] });
    expect(model.loaded).toBe(true);
    expect(model.shownIds()).toEqual(['a', 'pi-2', 'Pi-3', 'pi-10']);
    // A new device goes in its place; a changed one stays where it is.
    model.apply({ full: false, counts: counts(5), rows: [row('pi-1'), row('pi-10', { lost: 4 })] });
    expect(model.shownIds()).toEqual(['a', 'pi-1', 'pi-2', 'Pi-3', 'pi-10']);
    expect(model.row('pi-10')?.lost).toBe(4);
    expect(model.counts.devices).toBe(5);
  });

  it('removes the ids forgotten, and a full event replaces everything', () => {
    const model = new FleetModel();
    model.apply({ full: true, counts: counts(3), rows: [row('pi-1'), row('pi-2'), row('pi-3')] });
    model.apply({ full: false, counts: counts(2), rows: [], removed: ['pi-2', 'pi-404'] });
    expect(model.shownIds()).toEqual(['pi-1', 'pi-3']);
    expect(model.row('pi-2')).toBeUndefined();
    model.apply({ full: true, counts: counts(1), rows: [row('pi-9')] });
    expect(model.shownIds()).toEqual(['pi-9']);
    expect(model.size).toBe(1);
  });

  it('filters by presence and alert, and searches ids without regard to case', () => {
    const model = new FleetModel();
    model.apply({
      full: true,
      counts: { devices: 4, online: 2, offline: 2, alerting: 2 },
      rows: [
        row('barn-1'),
        row('barn-2', { online: false }),
        row('field-1', { alerte: true }),
        row('field-2', { online: false, alerte: true }),
      ],
    });
    model.setFilter('offline');
    expect(model.shownIds()).toEqual(['barn-2', 'field-2']);
    model.setFilter('alerting');
    expect(model.shownIds()).toEqual(['field-1', 'field-2']);
    model.setQuery('  FIELD-1 ');
    expect(model.shownIds()).toEqual(['field-1']);
    model.setFilter('all');
    model.setQuery('barn');
    expect(model.shownIds()).toEqual(['barn-1', 'barn-2']);
  });

  it('moves a device in or out of the filtered list when its presence changes, and only then recomputes it', () => {
    const model = new FleetModel();
    model.apply({ full: true, counts: counts(3), rows: [row('pi-1'), row('pi-2'), row('pi-3')] });
    model.setFilter('online');
    const before = model.shownIds();
    expect(before).toEqual(['pi-1', 'pi-2', 'pi-3']);
    model.apply({ full: false, counts: counts(3), rows: [row('pi-2', { temperature: 25 })] });
    expect(model.shownIds()).toBe(before);
    model.apply({ full: false, counts: counts(3), rows: [row('pi-2', { online: false })] });
    expect(model.shownIds()).toEqual(['pi-1', 'pi-3']);
    model.apply({ full: false, counts: counts(4), rows: [row('pi-0', { online: false })] });
    expect(model.shownIds()).toEqual(['pi-1', 'pi-3']);
  });

  it('chooses the first online device to show, else the first one', () => {
    const model = new FleetModel();
    expect(model.firstChoice()).toBeNull();
    model.apply({ full: true, counts: counts(2), rows: [row('pi-1', { online: false }), row('pi-2')] });
    expect(model.firstChoice()).toBe('pi-2');
    model.apply({ full: false, counts: counts(2), rows: [row('pi-2', { online: false })] });
    expect(model.firstChoice()).toBe('pi-1');
    model.clear();
    expect(model.loaded).toBe(false);
    expect(model.shownIds()).toEqual([]);
  });
});

describe("the watched device's row", () => {
  it('follows its summary at once, but a summary never adds a device the fleet does not list', () => {
    const model = new FleetModel();
    model.apply({ full: true, counts: counts(1), rows: [row('pi-1')] });
    const summary = {
      device_id: 'pi-1',
      online: false,
      last_seen: '2026-12-01T10:00:09.000Z',
      firmware: 'v2.0.0',
      settings: null,
      ota: null,
      sensor: null,
      alerte: true,
      latest: null,
      delivery: { received: 5, lost: 2, conflicts: 0 },
      epoch: null,
      epoch_reason: null,
      clock_synced: null,
    };
    model.updateFrom(summary);
    expect(model.row('pi-1')).toEqual({
      device_id: 'pi-1',
      online: false,
      alerte: true,
      last_seen: '2026-12-01T10:00:09.000Z',
      firmware: 'v2.0.0',
      temperature: null,
      humidite: null,
      pression: null,
      batterie: null,
      lost: 2,
    });
    model.updateFrom({ ...summary, device_id: 'pi-9' });
    expect(model.shownIds()).toEqual(['pi-1']);
  });
});

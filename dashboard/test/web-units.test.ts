import { describe, expect, it } from 'vitest';
import { sortFromText, sortIds, sortToText } from '../web/fleet-sort.js';
import type { FleetRow } from '../web/types.js';
import { type PreferenceStorage, UnitPreference } from '../web/unit-preference.js';
import { convert, formatMeasure, METRIC, parseChoice, toCelsius } from '../web/units.js';

const F = { temperature: '°F', pressure: 'inHg' } as const;

describe("the page's units", () => {
  it('converts °C to °F and hPa to inHg and mmHg, and leaves the other measures alone', () => {
    expect(convert(F, 'temperature', 100)).toBe(212);
    expect(convert(F, 'temperature', -40)).toBe(-40);
    expect(convert(F, 'pression', 1013.25)).toBeCloseTo(29.921, 3);
    expect(convert({ ...F, pressure: 'mmHg' }, 'pression', 1013.25)).toBeCloseTo(760.0, 1);
    expect(convert(F, 'humidite', 40)).toBe(40);
    expect(formatMeasure(F, 'pression', 1013.25)).toBe('29.92 inHg');
    expect(formatMeasure(METRIC, 'temperature', 21.45, 'compact')).toBe('21.4 °C');
    expect(formatMeasure(F, 'temperature', 30)).toBe('86.0 °F');
  });

  it('sends a threshold typed in °F in °C, to 0.01 °C, within the wire limits at their ends', () => {
    expect(toCelsius(F, 86)).toBe(30);
    expect(toCelsius(F, 90)).toBe(32.22);
    expect(toCelsius(F, 59)).toBe(15);
    expect(toCelsius(F, 113)).toBe(45);
    expect(toCelsius(METRIC, 30.5)).toBe(30.5);
    // Shown again to 0.1 °F, it reads as typed.
    expect(convert(F, 'temperature', toCelsius(F, 90.1)).toFixed(1)).toBe('90.1');
  });

  it('reads back a stored choice, and anything else as metric', () => {
    expect(parseChoice('{"temperature":"°F","pressure":"mmHg"}')).toEqual({
      temperature: '°F',
      pressure: 'mmHg',
    });
    expect(parseChoice('{"temperature":"K"}')).toEqual(METRIC);
    expect(parseChoice('not json')).toEqual(METRIC);
    expect(parseChoice(null)).toEqual(METRIC);
  });

  it("keeps each user's choice under their own key, and still works when the storage refuses", () => {
    const saved = new Map<string, string>();
    const storage = {
      getItem: (key: string) => saved.get(key) ?? null,
      setItem: (key: string, value: string) => void saved.set(key, value),
    } as PreferenceStorage;
    const seen: string[] = [];
    const alice = new UnitPreference(storage);
    alice.subscribe((choice) => seen.push(choice.temperature));
    alice.useFor('alice');
    alice.set({ temperature: '°F' });
    expect(JSON.parse(saved.get('sensor-fleet.units.alice') ?? '')).toEqual({
      temperature: '°F',
      pressure: 'hPa',
    });
    alice.useFor('bob');
    expect(alice.choice).toEqual(METRIC);
    alice.useFor('alice');
    expect(alice.choice.temperature).toBe('°F');
    expect(seen).toEqual(['°F', '°C', '°F']);

    const refusing = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    } as PreferenceStorage;
    const carol = new UnitPreference(refusing);
    carol.useFor('carol');
    carol.set({ pressure: 'mmHg' });
    expect(carol.choice).toEqual({ temperature: '°C', pressure: 'mmHg' });
  });
});

describe("the overview's sort", () => {
  const row = (id: string, temperature: number | null, online = true): FleetRow => ({
    device_id: id,
    online,
    alerte: false,
    last_seen: null,
    firmware: null,
    temperature,
    humidite: null,
    pression: null,
    batterie: null,
    lost: 0,
  });
  const rows = new Map([
    ['pi-1', row('pi-1', 21)],
    ['pi-2', row('pi-2', null)],
    ['pi-3', row('pi-3', 25, false)],
    ['pi-10', row('pi-10', 21)],
  ]);
  const ids = ['pi-1', 'pi-2', 'pi-3', 'pi-10'];
  const of = (id: string) => rows.get(id);

  it('sorts by a value either way, ties in id order, devices without a value last either way', () => {
    expect(sortIds(ids, of, { key: 'temperature', descending: true })).toEqual([
      'pi-3',
      'pi-1',
      'pi-10',
      'pi-2',
    ]);
    expect(sortIds(ids, of, { key: 'temperature', descending: false })).toEqual([
      'pi-1',
      'pi-10',
      'pi-3',
      'pi-2',
    ]);
    expect(sortIds(ids, of, { key: 'online', descending: false })).toEqual(['pi-3', 'pi-1', 'pi-2', 'pi-10']);
    expect(sortIds(ids, of, { key: 'device_id', descending: true })).toEqual([
      'pi-10',
      'pi-3',
      'pi-2',
      'pi-1',
    ]);
    expect(sortIds(ids, of, { key: 'device_id', descending: false })).toBe(ids);
  });

  it('writes the sort in the URL and reads it back; anything else is no sort', () => {
    expect(sortToText({ key: 'last_seen', descending: true })).toBe('last_seen-desc');
    expect(sortFromText('last_seen-desc')).toEqual({ key: 'last_seen', descending: true });
    expect(sortFromText('firmware-asc')).toBeNull();
    expect(sortFromText(null)).toBeNull();
  });
});

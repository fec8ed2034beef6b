import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelemetryStore } from '@fleet/dashboard';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { countPoints, historyUrl } from '../src/history.js';
import { databaseBytes, ensureHistoryData } from '../src/history-data.js';

let dir: string | null = null;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

describe('the history data', () => {
  it("is made once through the dashboard's store, a reading a second per device, and reused", async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-history-'));
    const made = ensureHistoryData(dir, 2, 1, () => undefined);
    expect(made).toMatchObject({ generatedNow: true, rows: 2 * 86_400, devices: ['b-0000', 'b-0001'] });
    expect(made.endMs - made.startMs).toBe(86_399_000);
    expect(databaseBytes(made.folder)).toBeGreaterThan(1_000_000);

    const store = new TelemetryStore({
      path: join(made.folder, 'dashboard.sqlite'),
      logger: pino({ level: 'silent' }),
    });
    store.open();
    try {
      expect(store.loadDevices().map((device) => device.device_id)).toEqual(['b-0000', 'b-0001']);
      expect(store.delivery('b-0001')).toEqual({ received: 86_400, lost: 0, conflicts: 0 });
      const [newest] = store.recent({ deviceId: 'b-0001', limit: 1 });
      expect(newest).toMatchObject({ seq: 86_399, trusted_at: new Date(made.endMs).toISOString() });
    } finally {
      store.close();
    }

    const manifest = JSON.parse(await readFile(join(made.folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ devices: 2, days: 1, rows: 172_800 });
    const again = ensureHistoryData(dir, 2, 1, () => undefined);
    expect(again).toMatchObject({
      generatedNow: false,
      rows: made.rows,
      startMs: made.startMs,
      endMs: made.endMs,
    });

    // Made for another version of the dashboard's schema: made again.
    await writeFile(join(made.folder, 'manifest.json'), JSON.stringify({ ...manifest, schema: -1 }));
    expect(ensureHistoryData(dir, 2, 1, () => undefined)).toMatchObject({
      generatedNow: true,
      rows: 172_800,
    });
  });
});

describe('the chart queries', () => {
  it('ask for a range and a number of points, the form only when not the default', () => {
    const url = new URL(
      historyUrl('http://h:1', 'b-0042', Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 8), 2016, 'buckets'),
    );
    expect(url.pathname).toBe('/api/devices/b-0042/history');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-08T00:00:00.000Z',
      limit: '2016',
      form: 'buckets',
    });
    expect(new URL(historyUrl('http://h:1', 'b-1', 0, 1, 10, 'readings')).searchParams.has('form')).toBe(
      false,
    );
  });

  it('count the buckets of an answer that has them, else its readings', () => {
    expect(countPoints('{"history":[{},{}],"buckets":[{},{},{}]}')).toBe(3);
    expect(countPoints('{"history":[{},{}]}')).toBe(2);
  });
});

describe('the chart queries timed', () => {
  it("are the page's: the same ranges and numbers of points (dashboard/web/history.ts)", async () => {
    const { CHART_RANGES } = await import('../src/history.js');
    // The page module needs the DOM's types, so its RANGES are read from its source.
    const page = await readFile(new URL('../../dashboard/web/history.ts', import.meta.url), 'utf8');
    const ranges = [...page.matchAll(/ms: ([\d_]+), limit: (\d+) \}/g)].map((match) => ({
      ms: Number((match[1] ?? '').replaceAll('_', '')),
      limit: Number(match[2]),
    }));
    expect(ranges).toHaveLength(3);
    expect(CHART_RANGES.map(({ ms, limit }) => ({ ms, limit }))).toEqual(ranges);
  });
});

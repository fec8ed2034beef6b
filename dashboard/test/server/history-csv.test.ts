import { get as httpGet } from 'node:http';
import { CSV_PAGE_ROWS, LOGIN_NEEDED, READING_CSV_COLUMNS } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { call, loggedIn } from './access-helpers.js';
import { eventually, onlineStatus, readings, stored, telemetry } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

/** The CSV read back by csv-parse (strict RFC 4180: quotes, CRLF), as records keyed by the header. */
function records(body: string): Array<Record<string, string>> {
  return parse(body, { columns: true, record_delimiter: '\r\n', relax_quotes: false });
}

describe('GET /api/devices/:id/history.csv', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
  });
  afterEach(async () => {
    await h.close();
  });

  const get = (url: string) => h.dashboard.app.inject({ method: 'GET', url });
  const write = (items: readonly Telemetry[]) =>
    h.store.transaction(() => {
      for (const reading of items) h.store.writeReading(stored(reading));
    });

  it('gives the range as CSV, oldest first, with the units in the header and an attachment name', async () => {
    write(readings('pi-1', 10, '2025-03-01T10:00:00Z'));
    write(readings('pi-2', 3, '2025-03-01T10:00:00Z'));
    const response = await get(
      '/api/devices/pi-1/history.csv?from=2025-03-01T10:00:02Z&to=2025-03-01T10:00:05Z',
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="pi-1-20250301T100002Z-20250301T100005Z.csv"',
    );
    const [header, ...lines] = response.body.split('\r\n');
    expect(header).toBe(
      'trusted_at,received_at,timestamp,epoch,seq,temperature_c,humidite_pct,pression_hpa,batterie_pct,alerte,mode,firmware,uptime_s,clock_synced,source,v',
    );
    expect(READING_CSV_COLUMNS.join(',')).toBe(header);
    expect(lines.at(-1)).toBe(''); // every record ends with CRLF, the last too
    expect(lines[0]).toBe(
      '2025-03-01T10:00:02.000Z,2025-03-01T12:00:00.000Z,2025-03-01T10:00:02.000Z,,2,21.5,40.2,1013.2,88,false,auto,v1.0.0,120,,synthetic,',
    );
    const rows = records(response.body);
    expect(rows.map((row) => row.seq)).toEqual(['2', '3', '4', '5']);
  });

  it('writes absent values empty, booleans as words, and the contract 2 fields when sent', async () => {
    write([
      telemetry({
        seq: 7,
        humidite: null,
        alerte: true,
        v: 2,
        epoch: 'e-1',
        clock_synced: true,
        temperature: -3.25,
      }),
    ]);
    const [row] = records((await get('/api/devices/pi-1/history.csv')).body);
    expect(row).toMatchObject({
      seq: '7',
      epoch: 'e-1',
      v: '2',
      clock_synced: 'true',
      humidite_pct: '',
      alerte: 'true',
      temperature_c: '-3.25',
    });
  });

  it('quotes a field holding a comma, a quote or a line break (RFC 4180)', async () => {
    // The contract's schemas keep such characters out of stored text today: written straight to the store.
    write([telemetry({ seq: 1, timestamp: 'a,b "c"\r\nd' })]);
    const body = (await get('/api/devices/pi-1/history.csv')).body;
    expect(body).toContain(',"a,b ""c""\r\nd",');
    expect(records(body)[0]?.timestamp).toBe('a,b "c"\r\nd');
  });

  it('defaults from to the oldest reading kept and to to now, and bounds from to the raw retention', async () => {
    write(readings('pi-1', 5, '2025-03-01T10:00:00Z'));
    const whole = await get('/api/devices/pi-1/history.csv');
    expect(records(whole.body)).toHaveLength(5);
    // The harness's clock says 12:00.
    expect(whole.headers['content-disposition']).toBe(
      'attachment; filename="pi-1-20250301T100000Z-20250301T120000Z.csv"',
    );
    await h.store.deleteOlderThan(Date.parse('2025-03-01T10:00:03Z'));
    const bounded = await get('/api/devices/pi-1/history.csv?from=2020-01-01T00:00:00Z');
    expect(bounded.headers['content-disposition']).toBe(
      'attachment; filename="pi-1-20250301T100003Z-20250301T120000Z.csv"',
    );
    expect(records(bounded.body).map((row) => row.seq)).toEqual(['3', '4']);
    // A device with no reading: the header alone.
    h.deliver('devices/pi-3/status', onlineStatus('pi-3'));
    const empty = await get('/api/devices/pi-3/history.csv');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toBe(`${READING_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('streams a long range in pages: 20 000 readings come whole and in order, the loop turning between pages', async () => {
    // 2 500 readings share one trusted_at across a page boundary: the (trusted_at, rowid) key keeps them all.
    const tied = readings('pi-1', 2500, '2025-03-01T09:00:00Z', 0, 0);
    write([...tied, ...readings('pi-1', 17_500, '2025-03-01T09:00:01Z', 100, 2500)]);
    const pages = vi.spyOn(h.store, 'rawPage');
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const response = await get('/api/devices/pi-1/history.csv?from=2025-03-01T09:00:00Z');
    clearInterval(ticker);
    const rows = records(response.body);
    expect(rows).toHaveLength(20_000);
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    // Full pages of CSV_PAGE_ROWS (500), then an empty one.
    expect(CSV_PAGE_ROWS).toBeLessThan(2500);
    expect(pages).toHaveBeenCalledTimes(20_000 / CSV_PAGE_ROWS + 1);
    expect(pages.mock.results.map((result) => (result.value as { rows: unknown[] }).rows.length)).toEqual([
      ...Array.from({ length: 20_000 / CSV_PAGE_ROWS }, () => CSV_PAGE_ROWS),
      0,
    ]);
    expect(turns).toBeGreaterThan(0);
  });

  it.each([
    ['from=yesterday', /^Query parameter "from" received "yesterday"; accepted: an ISO 8601 date and time/],
    ['to=2025-03-01', /^Query parameter "to" received "2025-03-01"/],
    [
      'from=2025-03-01T11:00:00Z&to=2025-03-01T10:00:00Z',
      /^Query parameter "from" received "2025-03-01T11:00:00.000Z"; accepted: a time no later than "to"/,
    ],
    ['limit=5', /^Query parameter "limit" is not accepted; accepted: from, to\.$/],
  ])('refuses ?%s with a sentence', async (query, sentence) => {
    const response = await get(`/api/devices/pi-1/history.csv?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json().error).toMatch(sentence);
  });

  it('answers 404 for an unknown device and 400 for an id that cannot be one', async () => {
    const unknown = await get('/api/devices/pi-9/history.csv');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatch(/^Device "pi-9" has never been seen by the dashboard/);
    const invalid = await get('/api/devices/-bad/history.csv');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error).toMatch(
      /^Path parameter "id" received "-bad"; accepted: 1 to 64 characters/,
    );
  });
});

describe('GET /api/devices/:id/history.csv with logins on', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ access: { auth: 'on' } });
    h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    h.store.transaction(() => {
      for (const reading of readings('pi-1', 3, '2025-03-01T10:00:00Z'))
        h.store.writeReading(stored(reading));
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('needs a login, and any role will do', async () => {
    const anonymous = await call(h.dashboard.app, 'GET', '/api/devices/pi-1/history.csv');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error).toBe(LOGIN_NEEDED);
    const cookie = await loggedIn(h, 'victor', 'viewer');
    const viewer = await call(h.dashboard.app, 'GET', '/api/devices/pi-1/history.csv', { cookie });
    expect(viewer.statusCode).toBe(200);
    expect(records(viewer.body).map((row) => row.seq)).toEqual(['0', '1', '2']);
  });
});

describe('GET /api/devices/:id/history.csv over HTTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
  });
  afterEach(async () => {
    await h.close();
  });

  it('stops reading pages when the client goes away', async () => {
    h.store.transaction(() => {
      for (const reading of readings('pi-1', 100 * CSV_PAGE_ROWS, '2025-03-01T09:00:00Z', 10))
        h.store.writeReading(stored(reading));
    });
    const pages = vi.spyOn(h.store, 'rawPage');
    const base = await h.dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      const request = httpGet(`${base}/api/devices/pi-1/history.csv`, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', (error) => (error.message === 'socket hang up' ? undefined : reject(error)));
    });
    // The pages read settle well short of the 101 a whole answer takes.
    let seen = -1;
    await eventually(async () => {
      const now = pages.mock.calls.length;
      const settled = now === seen;
      seen = now;
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (!settled) throw new Error('still reading');
      return true;
    });
    expect(pages.mock.calls.length).toBeLessThan(20);
  });
});

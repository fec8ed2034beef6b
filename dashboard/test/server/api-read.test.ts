import { readFile } from 'node:fs/promises';
import { BODY_LIMIT_BYTES, type DataResponse, defaultWebPaths, type HistoryResponse } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ack, onlineStatus, readings, stored, telemetry } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

describe('HTTP API: reading', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const get = (url: string) => h.dashboard.app.inject({ method: 'GET', url });

  /** pi-1: status + 5 readings (even seconds); pi-2: 5 readings (odd seconds); as stored at 12:00. */
  function seed() {
    h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    const one = readings('pi-1', 5, '2025-03-01T11:00:00Z', 2000);
    const two = readings('pi-2', 5, '2025-03-01T11:00:01Z', 2000);
    for (const reading of [...one, ...two]) h.deliver(`devices/${reading.device_id}/data`, reading);
    return { one: one.map((r) => stored(r)), two: two.map((r) => stored(r)) };
  }

  describe('GET /api/data', () => {
    it('answers the original shape with no data', async () => {
      const response = await get('/api/data');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual({ latest: {}, history: [], devices: [] });
    });

    it('gives the latest reading per device, the history oldest first and the device ids', async () => {
      const { one, two } = seed();
      const body = (await get('/api/data')).json() as DataResponse;
      expect(body.devices).toEqual(['pi-1', 'pi-2']);
      expect(body.latest).toEqual({ 'pi-1': one[4], 'pi-2': two[4] });
      expect(body.history).toHaveLength(10);
      const times = body.history.map((r) => Date.parse(r.timestamp));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('narrows to one device and to the most recent `limit`', async () => {
      const { one, two } = seed();
      expect(((await get('/api/data?device=pi-2')).json() as DataResponse).history).toEqual(two);
      expect(((await get('/api/data?device=pi-1&limit=2')).json() as DataResponse).history).toEqual(
        one.slice(3),
      );
      expect(((await get('/api/data?limit=3')).json() as DataResponse).history).toEqual([
        two[3],
        one[4],
        two[4],
      ]);
    });

    it('defaults to 100 readings and accepts at most 10000', async () => {
      for (const reading of readings('pi-1', 150, '2025-03-01T00:00:00Z'))
        h.deliver('devices/pi-1/data', reading);
      expect(((await get('/api/data')).json() as DataResponse).history).toHaveLength(100);
      expect(((await get('/api/data?limit=10000')).json() as DataResponse).history).toHaveLength(150);
      const tooMany = await get('/api/data?limit=10001');
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json()).toEqual({
        status: 'error',
        error:
          'Query parameter "limit" received "10001"; accepted: a whole number from 1 to 10000 (default 100).',
      });
    });

    it.each([
      ['limit=0', /^Query parameter "limit" received "0"; accepted: a whole number from 1 to 10000/],
      ['limit=abc', /^Query parameter "limit" received "abc"/],
      ['limit=2.5', /^Query parameter "limit" received "2.5"/],
      ['limit=1&limit=2', /^Query parameter "limit" received \["1","2"\]/],
      [
        'device=a%2Fb',
        /^Query parameter "device" received "a\/b"; accepted: a device id: 1 to 64 characters/,
      ],
      ['devices=pi-1', /^Query parameter "devices" is not accepted; accepted: device, limit\.$/],
    ])('refuses ?%s with a sentence', async (query, sentence) => {
      const response = await get(`/api/data?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().status).toBe('error');
      expect(response.json().error).toMatch(sentence);
    });

    it('answers 404 for a device never seen', async () => {
      seed();
      const response = await get('/api/data?device=pi-9');
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toMatch(/^Device "pi-9" has never been seen by the dashboard/);
    });
  });

  describe('GET /api/devices', () => {
    it('lists every known device as a DeviceSummary', async () => {
      const { one, two } = seed();
      h.dashboard.ingest.flush();
      h.clock.advance(1000);
      await h.deliver('devices/pi-1/ack', ack('pi-1', 'c1', { firmware: 'v1.0.0' }));
      const response = await get('/api/devices');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        devices: [
          {
            device_id: 'pi-1',
            online: true,
            last_seen: '2025-03-01T12:00:01.000Z',
            firmware: 'v1.0.0',
            settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
            ota: onlineStatus('pi-1').ota,
            sensor: onlineStatus('pi-1').sensor,
            alerte: false,
            latest: one[4],
            delivery: { received: 5, lost: 0, conflicts: 0 },
            epoch: null,
            epoch_reason: null,
            clock_synced: null,
          },
          {
            device_id: 'pi-2',
            online: false,
            last_seen: '2025-03-01T12:00:00.000Z',
            firmware: 'v1.0.0',
            settings: null,
            ota: null,
            sensor: null,
            alerte: false,
            latest: two[4],
            delivery: { received: 5, lost: 0, conflicts: 0 },
            epoch: null,
            epoch_reason: null,
            clock_synced: null,
          },
        ],
      });
    });

    it('refuses query parameters', async () => {
      const response = await get('/api/devices?x=1');
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe('Query parameter "x" is not accepted; accepted: none.');
    });
  });

  describe('GET /api/devices/:id/history', () => {
    beforeEach(() => {
      // Straight into the store: the ingest's validation is not what these tests are about.
      h.store.transaction(() => {
        for (const reading of readings('pi-1', 3600, '2025-03-01T10:00:00Z'))
          h.store.writeReading(stored(reading));
      });
      h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    });

    it('gives the readings in the range, oldest first', async () => {
      const response = await get(
        '/api/devices/pi-1/history?from=2025-03-01T10:10:00Z&to=2025-03-01T10:10:04.000Z',
      );
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.device_id).toBe('pi-1');
      expect(body.history.map((r: { seq: number }) => r.seq)).toEqual([600, 601, 602, 603, 604]);
    });

    it('thins an hour evenly down to the limit, keeping the newest reading', async () => {
      const body = (await get('/api/devices/pi-1/history?limit=60')).json();
      expect(body.history).toHaveLength(60);
      const seqs = body.history.map((r: { seq: number }) => r.seq);
      expect(seqs.at(-1)).toBe(3599);
      expect(new Set(seqs.slice(1).map((s: number, i: number) => s - (seqs[i] as number)))).toEqual(
        new Set([60]),
      );
    });

    it('defaults to at most 1000 readings (an hour at 1 Hz: the newest of each 5 s) and accepts a time zone offset', async () => {
      const thinned = (await get('/api/devices/pi-1/history')).json();
      expect(thinned.bucket_ms).toBe(5000);
      expect(thinned.history).toHaveLength(720);
      expect(thinned.buckets).toBeUndefined();
      const body = (await get('/api/devices/pi-1/history?from=2025-03-01T11:59:58%2B01:00')).json();
      expect(body.history.map((r: { seq: number }) => r.seq)).toEqual([3598, 3599]);
    });

    it('gives min, avg and max per time bucket with form=buckets, so a spike stays visible', async () => {
      h.store.transaction(() => {
        const spike = readings('pi-1', 1, '2025-03-01T10:30:00.500Z', 1000, 9000)[0];
        h.store.writeReading(stored({ ...(spike as Telemetry), temperature: 95, humidite: null }));
      });
      const body = (await get('/api/devices/pi-1/history?form=buckets&limit=60')).json() as HistoryResponse;
      expect(body.bucket_ms).toBe(60_000);
      expect(body.history).toEqual([]);
      expect(body.buckets).toHaveLength(60);
      const spiked = body.buckets?.filter((bucket) => bucket.temperature.max === 95) ?? [];
      expect(spiked).toEqual([
        {
          start: '2025-03-01T10:30:00.000Z',
          n: 61,
          temperature: { min: 21.5, avg: (21.5 * 60 + 95) / 61, max: 95 },
          humidite: { min: 40.2, avg: expect.closeTo(40.2, 9), max: 40.2 },
          pression: { min: 1013.2, avg: expect.closeTo(1013.2, 9), max: 1013.2 },
          batterie: { min: 88, avg: 88, max: 88 },
        },
      ]);
      // A range with at most `limit` readings comes whole, in both forms.
      const whole = (
        await get('/api/devices/pi-1/history?form=buckets&from=2025-03-01T10:00:00Z&to=2025-03-01T10:00:01Z')
      ).json() as HistoryResponse;
      expect(whole).toMatchObject({ bucket_ms: null, buckets: [] });
      expect(whole.history.map((r) => r.seq)).toEqual([0, 1]);
    });

    it.each([
      ['from=yesterday', /^Query parameter "from" received "yesterday"; accepted: an ISO 8601 date and time/],
      ['to=2025-03-01', /^Query parameter "to" received "2025-03-01"/],
      [
        'limit=10001',
        /^Query parameter "limit" received "10001"; accepted: a whole number from 1 to 10000 \(default 1000\)/,
      ],
      [
        'from=2025-03-01T11:00:00Z&to=2025-03-01T10:00:00Z',
        /^Query parameter "from" received "2025-03-01T11:00:00.000Z"; accepted: a time no later than "to"/,
      ],
      ['since=1', /^Query parameter "since" is not accepted; accepted: from, to, limit, form\.$/],
      [
        'form=points',
        /^Query parameter "form" received "points"; accepted: readings or buckets \(default readings\)\.$/,
      ],
    ])('refuses ?%s with a sentence', async (query, sentence) => {
      const response = await get(`/api/devices/pi-1/history?${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatch(sentence);
    });

    it('answers 404 for an unknown device and 400 for an id that cannot be one', async () => {
      const unknown = await get('/api/devices/pi-9/history');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({
        status: 'error',
        error: expect.stringMatching(/^Device "pi-9"/),
      });
      const invalid = await get('/api/devices/-bad/history');
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().error).toMatch(
        /^Path parameter "id" received "-bad"; accepted: 1 to 64 characters/,
      );
    });
  });

  describe('errors and limits', () => {
    it('answers an unknown route with 404 JSON naming the routes', async () => {
      for (const request of [
        { method: 'GET' as const, url: '/api/nope' },
        { method: 'POST' as const, url: '/api/data' },
        { method: 'GET' as const, url: '/static/missing.css' },
      ]) {
        const response = await h.dashboard.app.inject(request);
        expect(response.statusCode).toBe(404);
        expect(response.json()).toEqual({
          status: 'error',
          error: expect.stringMatching(
            new RegExp(`^No route matches ${request.method} ${request.url}; accepted: GET /,`),
          ),
        });
      }
      // Every route the server has is named, and every route named exists.
      const named = (await h.dashboard.app.inject({ method: 'GET', url: '/api/nope' }))
        .json()
        .error.replace(/^.*; accepted: /, '')
        .replace(/\.$/, '')
        .split(', ');
      for (const route of named) {
        const [method, url] = route.split(' ');
        expect(h.dashboard.app.hasRoute({ method, url }), route).toBe(true);
      }
      for (const route of ['GET /api/devices/:id/history.csv', 'GET /metrics', 'DELETE /api/devices/:id']) {
        expect(named).toContain(route);
      }
    });

    it(`refuses a body over ${BODY_LIMIT_BYTES} bytes with 413`, async () => {
      const payload = JSON.stringify({ device_id: 'pi-1', mode: 'auto', pad: 'x'.repeat(BODY_LIMIT_BYTES) });
      const response = await h.dashboard.app.inject({
        method: 'POST',
        url: '/api/command',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({
        status: 'error',
        error: `The request body received ${Buffer.byteLength(payload)} bytes; accepted: at most 16384 bytes (16 KiB).`,
      });
    });
  });

  describe('page', () => {
    it('serves index.html at /, static files and compiled scripts', async () => {
      const page = await get('/');
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('Fleet test page');
      expect((await get('/static/style.css')).body).toBe('body { margin: 0 }');
      const script = await get('/js/main.js');
      expect(script.headers['content-type']).toMatch(/javascript/);
      expect(script.body).toBe('export const page = 1;');
    });

    it('serves chart.js and the date adapter from node_modules', async () => {
      for (const [url, file] of [
        ['/vendor/chart.umd.js', h.webPaths.chartJs],
        ['/vendor/chartjs-adapter-date-fns.bundle.min.js', h.webPaths.chartAdapter],
      ] as const) {
        const response = await get(url);
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toMatch(/javascript/);
        expect(response.body).toBe(await readFile(file, 'utf8'));
      }
    });

    it('finds the page folders next to the module and the vendor builds in node_modules', async () => {
      const paths = defaultWebPaths();
      expect(paths.staticDir).toMatch(/dashboard[/\\]web[/\\]static$/);
      expect(paths.scriptsDir).toMatch(/dashboard[/\\]dist[/\\]web$/);
      expect(await readFile(paths.chartJs, 'utf8')).toMatch(/Chart\.js v4/);
      expect(await readFile(paths.chartAdapter, 'utf8')).toMatch(/chartjs-adapter-date-fns/);
    });
  });

  describe('GET /healthz', () => {
    it('answers 503 naming the broker when it is not connected', async () => {
      const response = await get('/healthz');
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        status: 'error',
        mqtt: 'disconnected',
        database: 'ok',
        error: 'Not healthy: the MQTT broker is not connected (state: idle).',
      });
    });

    it('names the database when it does not answer', async () => {
      h.store.close();
      const response = await get('/healthz');
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ mqtt: 'disconnected', database: 'error' });
      expect(response.json().error).toMatch(/the database does not answer/);
    });
  });

  it('stores a telemetry point once per (device, epoch, seq), whatever the API asks', async () => {
    const reading = telemetry({ seq: 3 });
    h.deliver('devices/pi-1/data', reading);
    h.deliver('devices/pi-1/data', reading);
    expect(((await get('/api/data')).json() as DataResponse).history).toEqual([stored(reading)]);
  });
});

import type { AddressInfo } from 'node:net';
import type { FleetEventData, FleetRow } from '@fleet/dashboard';
import { afterEach, describe, expect, it } from 'vitest';
import { ack, capturingLogger, eventually, onlineStatus, stored, telemetry } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';
import { openStream, type Stream } from './sse-stream.js';

describe('GET /api/events (Server-Sent Events)', () => {
  let h: Harness;
  let port: number;
  const streams: Stream[] = [];
  const start = async (options: Parameters<typeof startHarness>[0] = {}) => {
    h = await startHarness({ heartbeatMs: 100, ...options });
    await h.dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.dashboard.app.server.address() as AddressInfo).port;
  };
  const open = (path = '/api/events', options: Parameters<typeof openStream>[2] = {}) => {
    const stream = openStream(port, path, options);
    streams.push(stream);
    return stream;
  };
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await h?.close();
  });

  it('sends the fleet in full first: its counts and a row per known device', async () => {
    await start();
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1', { alerte: true }));
    await h.deliver('devices/pi-1/data', telemetry({ seq: 1, temperature: 24.5, alerte: true }));
    await h.deliver('devices/pi-2/status', { device_id: 'pi-2', online: false });
    const stream = open();
    await eventually(() => stream.events.length === 1, 5000, 'the first fleet event');
    expect(stream.state.status).toBe(200);
    expect(stream.state.contentType).toMatch(/^text\/event-stream/);
    const first = stream.events[0];
    expect(first?.event).toBe('fleet');
    expect(first?.data).toEqual({
      full: true,
      counts: { devices: 2, online: 1, offline: 1, alerting: 1 },
      rows: [
        {
          device_id: 'pi-1',
          online: true,
          alerte: true,
          last_seen: '2025-03-01T12:00:00.000Z',
          firmware: 'v1.0.0',
          temperature: 24.5,
          humidite: 40.2,
          pression: 1013.2,
          batterie: 88,
          lost: 0,
        },
        {
          device_id: 'pi-2',
          online: false,
          alerte: false,
          last_seen: '2025-03-01T12:00:00.000Z',
          firmware: null,
          temperature: null,
          humidite: null,
          pression: null,
          batterie: null,
          lost: 0,
        },
      ],
    } satisfies FleetEventData);
    // fleet=counts: the counts without rows.
    const counts = open('/api/events?fleet=counts');
    await eventually(() => counts.events.length === 1, 5000, 'the counts');
    expect(counts.events[0]?.data).toEqual({
      full: true,
      counts: { devices: 2, online: 1, offline: 1, alerting: 1 },
    });
  });

  it('then sends, at most once per interval, the counts and only the rows of the devices that changed', async () => {
    await start({ fleetIntervalMs: 400 });
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    await h.deliver('devices/pi-2/status', onlineStatus('pi-2'));
    h.dashboard.hub.flushFleet();
    const stream = open();
    await eventually(() => stream.events.length === 1, 5000, 'the first fleet event');
    // Ten readings of pi-1 and an offline pi-3, delivered at once: one event, with the latest values.
    for (let seq = 1; seq <= 10; seq += 1) {
      await h.deliver('devices/pi-1/data', telemetry({ seq, temperature: 20 + seq }));
    }
    await h.deliver('devices/pi-3/status', { device_id: 'pi-3', online: false });
    await eventually(() => stream.events.length === 2, 5000, 'an update');
    const update = stream.events[1]?.data as FleetEventData;
    expect(update).toMatchObject({
      full: false,
      counts: { devices: 3, online: 2, offline: 1, alerting: 0 },
      removed: [],
    });
    expect(update.rows?.map((row) => [row.device_id, row.temperature])).toEqual([
      ['pi-1', 30],
      ['pi-3', null],
    ]);
    // Changes that follow within the interval wait for it: the next event comes no sooner.
    await h.deliver('devices/pi-2/data', telemetry({ device_id: 'pi-2', seq: 1 }));
    await h.deliver('devices/pi-2/data', telemetry({ device_id: 'pi-2', seq: 2 }));
    await eventually(() => stream.events.length === 3, 5000, 'a second update');
    const gap = (stream.events[2]?.at ?? 0) - (stream.events[1]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(350);
    const second = stream.named<FleetEventData>('fleet')[2];
    expect(second?.rows?.map((row: FleetRow) => row.device_id)).toEqual(['pi-2']);
    // Nothing changed: nothing is sent.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(stream.events.filter((e) => e.event === 'fleet')).toHaveLength(3);
  });

  it('with fleet=counts sends an update only when the counts change', async () => {
    await start({ fleetIntervalMs: 100 });
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    const stream = open('/api/events?fleet=counts');
    await eventually(() => stream.events.length === 1, 5000, 'the first fleet event');
    await h.deliver('devices/pi-1/data', telemetry({ seq: 1 }));
    h.dashboard.hub.flushFleet();
    await h.deliver('devices/pi-1/data', telemetry({ seq: 2, alerte: true }));
    h.dashboard.hub.flushFleet();
    await eventually(() => stream.events.length === 2, 5000, 'the alert in the counts');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stream.events.map((e) => e.data)).toEqual([
      { full: true, counts: { devices: 1, online: 1, offline: 0, alerting: 0 } },
      { full: false, counts: { devices: 1, online: 1, offline: 0, alerting: 1 } },
    ]);
  });

  it("sends a watched device's events to its watchers only, its summary first, and no fleet with fleet=none", async () => {
    await start();
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    const one = open('/api/events?device=pi-1&fleet=none');
    const two = open('/api/events?device=pi-2&fleet=none');
    await eventually(() => one.events.length === 1 && two.state.status === 200, 5000, 'both streams');
    expect(one.events[0]).toMatchObject({ event: 'device', data: { device_id: 'pi-1', online: true } });

    const reading = telemetry({ seq: 1 });
    await h.deliver('devices/pi-1/data', reading);
    await h.deliver('devices/pi-1/data', reading); // a redelivery is not a second event
    await h.deliver('devices/pi-1/ack', ack('pi-1', 'c1'));
    await h.deliver('devices/pi-2/status', { device_id: 'pi-2', online: false });
    await eventually(() => one.events.length === 5, 5000, "pi-1's events");
    expect(one.events.slice(1).map((e) => e.event)).toEqual(['telemetry', 'device', 'ack', 'device']);
    expect(one.events[1]?.data).toEqual(stored(reading));
    expect(one.events[2]?.data).toMatchObject({
      device_id: 'pi-1',
      latest: stored(reading),
      delivery: { received: 1, lost: 0, conflicts: 0 },
    });
    expect(one.events[3]?.data).toEqual(ack('pi-1', 'c1'));
    // pi-2 was unknown when its stream opened: no summary first; then its own events only.
    await eventually(() => two.events.length === 2, 5000, "pi-2's events");
    expect(two.events.map((e) => [e.event, (e.data as { device_id: string }).device_id])).toEqual([
      ['status', 'pi-2'],
      ['device', 'pi-2'],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(one.events.some((e) => e.event === 'fleet')).toBe(false);
    expect(one.events).toHaveLength(5);
  });

  it('serialises each event once for all its clients', async () => {
    await start({ fleetIntervalMs: 60_000 });
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    const watchers = Array.from({ length: 20 }, () => open('/api/events?device=pi-1'));
    const counters = Array.from({ length: 5 }, () => open('/api/events?fleet=counts'));
    await eventually(
      () => watchers.every((s) => s.events.length === 2) && counters.every((s) => s.events.length === 1),
      5000,
      'every first event',
    );
    const before = h.dashboard.hub.frames.built;
    await h.deliver('devices/pi-1/data', telemetry({ seq: 1, alerte: true }));
    h.dashboard.hub.flushFleet();
    await eventually(
      () => watchers.every((s) => s.events.length === 5) && counters.every((s) => s.events.length === 2),
      5000,
      'the events at every client',
    );
    // telemetry, device, the rows' fleet event and the counts' one: four frames for 25 clients.
    expect(h.dashboard.hub.frames.built - before).toBe(4);
    expect(watchers[7]?.events.slice(2).map((e) => e.event)).toEqual(['telemetry', 'device', 'fleet']);
  });

  it('refuses a stream over EVENT_STREAM_MAX_CLIENTS with 503, and bad parameters with 400', async () => {
    await start({ eventStreamMaxClients: 2 });
    const first = open();
    const second = open('/api/events?fleet=none');
    await eventually(() => h.dashboard.hub.size === 2, 5000, 'two streams');
    const third = open('/api/events?fleet=counts');
    await eventually(() => third.state.ended, 5000, 'the refusal');
    expect(third.state.status).toBe(503);
    expect(JSON.parse(third.state.body)).toEqual({
      status: 'error',
      error:
        'The event stream serves 2 clients already, the most EVENT_STREAM_MAX_CLIENTS (2) allows; close another page or raise EVENT_STREAM_MAX_CLIENTS.',
    });
    first.close();
    await eventually(() => h.dashboard.hub.size === 1, 5000, 'a stream closed');
    const fourth = open();
    await eventually(() => fourth.events.length === 1, 5000, 'a stream again');
    expect(second.state.ended).toBe(false);

    for (const [query, error] of [
      [
        'fleet=all',
        'Query parameter "fleet" received "all"; accepted: rows (the default: counts and rows), counts, or none.',
      ],
      ['device=a%20b', 'Query parameter "device" received "a b"; accepted: a device id'],
      ['devices=pi-1', 'Query parameter "devices" is not accepted; accepted: device, fleet.'],
    ] as const) {
      const response = await h.dashboard.app.inject({ method: 'GET', url: `/api/events?${query}` });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toContain(error);
    }
  });

  it('drops a client that does not read, with a log line naming what it watched', async () => {
    const { logger, lines } = capturingLogger('warn');
    await start({ logger });
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    const slow = open('/api/events?device=pi-1&fleet=counts', { paused: true });
    const reader = open('/api/events?device=pi-1&fleet=none');
    await eventually(() => h.dashboard.hub.size === 2 && reader.events.length === 1, 5000, 'two streams');
    expect(slow.state.status).toBe(200);
    // Events of about 4 KiB each, 400 KiB at a time (the reader reads in between), until far more than the
    // socket buffers and the 1 MiB bound hold.
    const big = stored(telemetry({ seq: 1, source: 'x'.repeat(4000) as never }));
    let sent = 0;
    for (let round = 0; round < 400 && h.dashboard.hub.size === 2; round += 1) {
      for (let i = 0; i < 100; i += 1) h.dashboard.events.emit('telemetry', big);
      sent += 100;
      await eventually(() => reader.events.length > sent, 5000, 'the reader to read');
    }
    expect(h.dashboard.hub.size).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'Dropped an event stream client that does not keep up',
        device: 'pi-1',
        fleet: 'counts',
      }),
    );
    h.dashboard.events.emit('telemetry', big);
    await eventually(() => reader.events.length > sent + 1, 5000, 'the reader still served');
  });

  it('sends a heartbeat comment and forgets a client that disconnects', async () => {
    await start();
    const stream = open();
    await eventually(() => stream.comments.includes('heartbeat'), 5000, 'a heartbeat');
    expect(h.dashboard.hub.size).toBe(1);
    stream.close();
    await eventually(() => h.dashboard.hub.size === 0, 5000, 'the hub to drop the client');
  });

  it('ends open streams when the server closes', async () => {
    await start();
    open('/api/events?device=pi-1');
    await eventually(() => h.dashboard.hub.size === 1, 5000, 'the client');
    const started = Date.now();
    await h.dashboard.app.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(h.dashboard.hub.size).toBe(0);
  });
});

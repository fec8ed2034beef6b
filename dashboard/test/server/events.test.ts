import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ack, eventually, onlineStatus, stored, telemetry } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

interface SseEvent {
  event: string;
  data: unknown;
}

/** Opens `GET /api/events` and collects what arrives: events and comment lines. */
function openStream(port: number) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let status = 0;
  let contentType = '';
  let buffer = '';
  const req = request({
    host: '127.0.0.1',
    port,
    path: '/api/events',
    headers: { accept: 'text/event-stream' },
  });
  req.on('response', (response) => {
    status = response.statusCode ?? 0;
    contentType = String(response.headers['content-type']);
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const lines = block.split('\n');
        for (const line of lines) if (line.startsWith(':')) comments.push(line.slice(1).trim());
        const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
        const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return {
    events,
    comments,
    status: () => status,
    contentType: () => contentType,
    close: () => req.destroy(),
  };
}

describe('GET /api/events (Server-Sent Events)', () => {
  let h: Harness;
  let port: number;
  beforeEach(async () => {
    h = await startHarness({ heartbeatMs: 100 });
    await h.dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.dashboard.app.server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await h.close();
  });

  it('sends the known devices first, then telemetry, status, ack and device events as they happen', async () => {
    h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    const stream = openStream(port);
    await eventually(() => stream.events.length === 1, 5000, 'the initial device event');
    expect(stream.status()).toBe(200);
    expect(stream.contentType()).toMatch(/^text\/event-stream/);
    expect(stream.events[0]).toEqual({
      event: 'device',
      data: expect.objectContaining({ device_id: 'pi-1', online: true }),
    });

    const reading = telemetry({ seq: 1 });
    h.deliver('devices/pi-1/data', reading);
    h.deliver('devices/pi-1/data', reading); // a redelivery is not a second event
    await eventually(() => stream.events.length === 3, 5000, 'telemetry and device events');
    // Messages committed together: their events in order, then each changed device's summary once.
    h.deliver('devices/pi-1/ack', ack('pi-1', 'c1'));
    h.deliver('devices/pi-2/status', { device_id: 'pi-2', online: false });
    await eventually(() => stream.events.length === 7, 5000, 'ack, status and device events');
    expect(stream.events.slice(1).map((e) => e.event)).toEqual([
      'telemetry',
      'device',
      'ack',
      'status',
      'device',
      'device',
    ]);
    expect(stream.events[1]?.data).toEqual(stored(reading));
    expect(stream.events[2]?.data).toMatchObject({
      device_id: 'pi-1',
      latest: stored(reading),
      delivery: { received: 1, lost: 0, conflicts: 0 },
    });
    expect(stream.events[3]?.data).toEqual(ack('pi-1', 'c1'));
    expect(stream.events[4]?.data).toEqual({ device_id: 'pi-2', online: false });
    expect(stream.events.slice(5).map((e) => (e.data as { device_id: string }).device_id)).toEqual([
      'pi-1',
      'pi-2',
    ]);
    stream.close();
  });

  it('sends a heartbeat comment and forgets a client that disconnects', async () => {
    const stream = openStream(port);
    await eventually(() => stream.comments.includes('heartbeat'), 5000, 'a heartbeat');
    expect(h.dashboard.hub.size).toBe(1);
    stream.close();
    await eventually(() => h.dashboard.hub.size === 0, 5000, 'the hub to drop the client');
  });

  it('ends open streams when the server closes', async () => {
    const stream = openStream(port);
    await eventually(() => h.dashboard.hub.size === 1, 5000, 'the client');
    const started = Date.now();
    await h.dashboard.app.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(h.dashboard.hub.size).toBe(0);
    stream.close();
  });
});

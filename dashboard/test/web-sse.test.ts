import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectionState,
  eventsUrl,
  LiveEvents,
  type LiveHandlers,
  type StreamOpening,
} from '../web/sse.js';

/** An EventSource the test drives: opens, errors and events on demand. */
class FakeSource {
  static readonly CLOSED = 2;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readyState = 0;
  closed = false;
  private readonly listeners = new Map<string, (event: { data: string }) => void>();
  constructor(readonly url: string) {}
  addEventListener(name: string, listener: (event: { data: string }) => void): void {
    this.listeners.set(name, listener);
  }
  close(): void {
    this.closed = true;
  }
  emit(name: string, data: unknown): void {
    this.listeners.get(name)?.({ data: JSON.stringify(data) });
  }
}

describe("the page's event stream", () => {
  const sources: FakeSource[] = [];
  const seen: string[] = [];
  const states: ConnectionState[] = [];
  const openings: StreamOpening[] = [];
  const handlers: LiveHandlers = {
    fleet: (event) => seen.push(`fleet ${event.full}`),
    telemetry: (reading) => seen.push(`telemetry ${reading.device_id}`),
    device: (device) => seen.push(`device ${device.device_id}`),
    command: () => {},
    forgotten: ({ device_id }) => seen.push(`forgotten ${device_id}`),
    connection: (state) => states.push(state),
    opened: (how) => openings.push(how),
    gaveUp: () => {},
  };
  const live = new LiveEvents(handlers, (url) => {
    const source = new FakeSource(url);
    sources.push(source);
    return source as unknown as EventSource;
  });

  beforeAll(() => {
    (globalThis as { EventSource?: unknown }).EventSource = FakeSource;
  });
  afterAll(() => {
    live.close();
    delete (globalThis as { EventSource?: unknown }).EventSource;
  });

  it('asks for the watched device by a query parameter, encoded', () => {
    expect(eventsUrl(null)).toBe('/api/events');
    expect(eventsUrl('pi-1.a_b')).toBe('/api/events?device=pi-1.a_b');
  });

  it('opens a new stream for another device, closing the old one, without saying it reconnects', () => {
    live.start('pi-1');
    sources[0]?.onopen?.();
    expect(states).toEqual(['connecting', 'live']);
    expect(openings).toEqual(['first']);
    live.watch('pi-2');
    expect(sources.map((source) => [source.url, source.closed])).toEqual([
      ['/api/events?device=pi-1', true],
      ['/api/events?device=pi-2', false],
    ]);
    sources[1]?.onopen?.();
    expect(states).toEqual(['connecting', 'live', 'live']);
    // Not a reconnection, but the page reads the device's history again: what it did before this stream
    // was open reached no stream of the page.
    expect(openings).toEqual(['first', 'watch']);
    live.watch('pi-2');
    expect(sources).toHaveLength(2);
  });

  it("ignores the events of a stream it closed, and hears the new one's", () => {
    sources[0]?.emit('telemetry', { device_id: 'pi-1' });
    sources[0]?.onerror?.();
    sources[1]?.emit('fleet', { full: true, counts: {}, rows: [] });
    sources[1]?.emit('device', { device_id: 'pi-2' });
    sources[1]?.emit('forgotten', { device_id: 'pi-2' });
    expect(seen).toEqual(['fleet true', 'device pi-2', 'forgotten pi-2']);
    expect(states.at(-1)).toBe('live');
  });

  it('says it reconnects when the browser opens the same stream again after a network error', () => {
    const current = sources[1];
    current?.onerror?.();
    expect(states.at(-1)).toBe('reconnecting');
    current?.onopen?.();
    expect(openings).toEqual(['first', 'watch', 'reconnected']);
    expect(states.at(-1)).toBe('live');
  });
});

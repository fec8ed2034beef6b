import { describe, expect, it } from 'vitest';
import { SseParser } from '../src/sse.js';
import { LatencyCollector, watchUrl } from '../src/watchers.js';

describe('SseParser', () => {
  it('reads events split anywhere across chunks, and skips comments and retry', () => {
    const parser = new SseParser();
    const text =
      'retry: 3000\n\n: heartbeat\n\nevent: telemetry\ndata: {"a":1}\n\nevent: device\ndata: {"b":2}\n\n';
    const events = [];
    for (let i = 0; i < text.length; i += 7) events.push(...parser.push(text.slice(i, i + 7)));
    expect(events).toEqual([
      { event: 'telemetry', data: '{"a":1}' },
      { event: 'device', data: '{"b":2}' },
    ]);
  });

  it('joins the data lines of one event and names an unnamed event "message"', () => {
    expect(new SseParser().push('data: one\ndata:two\n\n')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });
});

describe('LatencyCollector', () => {
  const telemetry = (device: string, sentAt: number) => ({
    event: 'telemetry',
    data: JSON.stringify({ device_id: device, timestamp: new Date(sentAt).toISOString(), seq: 1 }),
  });

  it('measures from the time stamped in the reading, after the warm-up only', () => {
    const collector = new LatencyCollector();
    collector.from = 10_000;
    collector.take(telemetry('b-0001', 9_000), null, 9_050);
    collector.take(telemetry('b-0001', 10_000), null, 10_012);
    collector.take(telemetry('b-0002', 11_000), null, 11_003);
    collector.take({ event: 'device', data: '{"device_id":"b-0001"}' }, null, 11_100);
    expect(collector.samples).toEqual([12, 3]);
    expect(collector.received).toBe(3);
  });

  it("keeps only its device's readings on a stream that carries every device", () => {
    const collector = new LatencyCollector();
    collector.from = 0;
    collector.take(telemetry('b-0001', 100), 'b-0002', 110);
    collector.take(telemetry('b-0002', 100), 'b-0002', 120);
    expect(collector.samples).toEqual([20]);
  });

  it('asks for one device without the fleet, or for everything with the earlier protocol', () => {
    expect(watchUrl('http://h:1', 'device', 'b-0001')).toBe('http://h:1/api/events?device=b-0001&fleet=none');
    expect(watchUrl('http://h:1', 'all', 'b-0001')).toBe('http://h:1/api/events');
  });
});

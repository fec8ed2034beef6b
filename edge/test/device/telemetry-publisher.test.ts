import { createLogger, type Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TelemetryPublisher } from '../../src/device/telemetry-publisher.js';
import { FakeLink, MemoryOutbox } from './fakes.js';

const logger = createLogger('edge-test', 'silent');

function reading(seq: number): Telemetry {
  return {
    device_id: 'dev-1',
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    temperature: 21,
    humidite: 50,
    pression: 1013,
    batterie: 99,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: false,
    uptime: seq,
    seq,
    source: 'synthetic',
  };
}

describe('TelemetryPublisher', () => {
  let link: FakeLink;
  let outbox: MemoryOutbox;
  let publisher: TelemetryPublisher;

  beforeEach(async () => {
    vi.useFakeTimers();
    link = new FakeLink('dev-1');
    outbox = new MemoryOutbox();
    for (let seq = 0; seq < 5; seq++) await outbox.enqueue(reading(seq));
  });

  afterEach(async () => {
    vi.useRealTimers();
    await publisher.stop(0);
  });

  const make = (window = 2) => {
    publisher = new TelemetryPublisher({ outbox, link, topic: 'devices/dev-1/data', logger, window });
    return publisher;
  };

  it('publishes nothing while offline, then drains in seq order once connected', async () => {
    make().start();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.published).toHaveLength(0);
    link.goOnline();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.on('data').map((message) => (message.json as Telemetry).seq)).toEqual([0, 1, 2, 3, 4]);
    expect(outbox.size).toBe(0);
    expect(publisher.deliveredCount).toBe(5);
  });

  it('removes a reading from the outbox only after its PUBACK, with at most `window` in flight', async () => {
    link.autoAck = false;
    link.goOnline();
    make(2).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.unacked.map((entry) => (entry.message.json as Telemetry).seq)).toEqual([0, 1]);
    expect(outbox.size).toBe(5);
    link.ackNext();
    await vi.advanceTimersByTimeAsync(0);
    expect(outbox.items.map((item) => item.seq)).toEqual([1, 2, 3, 4]);
    link.ackNext();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.unacked.map((entry) => (entry.message.json as Telemetry).seq)).toEqual([2, 3]);
  });

  it('waits across a lost connection and goes on after the reconnect', async () => {
    link.autoAck = false;
    link.goOnline();
    make(1).start();
    await vi.advanceTimersByTimeAsync(0);
    link.goOffline();
    await outbox.enqueue(reading(5));
    publisher.kick();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.unacked).toHaveLength(1);
    link.autoAck = true;
    link.goOnline();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.on('data').map((message) => (message.json as Telemetry).seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(outbox.size).toBe(0);
  });

  it('on stop, finishes the message in flight and leaves the rest on the outbox', async () => {
    link.autoAck = false;
    link.goOnline();
    make(1).start();
    await vi.advanceTimersByTimeAsync(0);
    const stopped = publisher.stop(2_000);
    link.ackNext();
    await stopped;
    await vi.advanceTimersByTimeAsync(0);
    expect(link.published.map((message) => (message.json as Telemetry).seq)).toEqual([0]);
    expect(link.unacked).toHaveLength(0);
    expect(outbox.items.map((item) => item.seq)).toEqual([1, 2, 3, 4]);
  });

  it('gives up waiting on stop after its timeout; the unacknowledged reading stays queued', async () => {
    link.autoAck = false;
    link.goOnline();
    make(1).start();
    await vi.advanceTimersByTimeAsync(0);
    const stopped = publisher.stop(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await stopped;
    expect(outbox.items.map((item) => item.seq)).toEqual([0, 1, 2, 3, 4]);
  });
});

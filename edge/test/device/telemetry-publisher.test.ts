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
    epoch: 'e1',
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
    for (let seq = 0; seq < 5; seq++) outbox.add(reading(seq));
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

  it('removes readings only after their PUBACK, a window at a time, with at most `window` in flight', async () => {
    link.autoAck = false;
    link.goOnline();
    make(2).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.unacked.map((entry) => (entry.message.json as Telemetry).seq)).toEqual([0, 1]);
    expect(outbox.size).toBe(5);
    link.ackNext();
    await vi.advanceTimersByTimeAsync(0);
    expect(outbox.items.map((item) => item.seq)).toEqual([0, 1, 2, 3, 4]);
    link.ackNext();
    await vi.advanceTimersByTimeAsync(0);
    expect(outbox.items.map((item) => item.seq)).toEqual([2, 3, 4]);
    expect(link.unacked.map((entry) => (entry.message.json as Telemetry).seq)).toEqual([2, 3]);
  });

  it('removes the acknowledged part of a window whose later message failed, and sends the rest again', async () => {
    link.autoAck = false;
    link.goOnline();
    make(3).start();
    await vi.advanceTimersByTimeAsync(0);
    link.ackNext(); // seq 0
    link.unacked.shift()?.reject(new Error('connection lost')); // seq 1
    link.ackNext(); // seq 2: acknowledged after a failure, so it stays queued and goes again
    await vi.advanceTimersByTimeAsync(0);
    expect(outbox.items.map((item) => item.seq)).toEqual([1, 2, 3, 4]);
    expect(link.unacked.map((entry) => (entry.message.json as Telemetry).seq)).toEqual([1, 2, 3]);
  });

  it('publishes a reading as `stamps` makes it, and tells it once the broker has it', async () => {
    const forgotten: number[] = [];
    publisher = new TelemetryPublisher({
      outbox,
      link,
      topic: 'devices/dev-1/data',
      logger,
      stamps: {
        restamp: (telemetry) => ({ ...telemetry, timestamp: '2030-01-01T00:00:00.000Z' }),
        forget: (telemetry) => forgotten.push(telemetry.seq),
      },
    });
    link.goOnline();
    publisher.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.on('data').map((message) => (message.json as Telemetry).timestamp)).toEqual(
      Array(5).fill('2030-01-01T00:00:00.000Z'),
    );
    expect(forgotten).toEqual([0, 1, 2, 3, 4]);
    expect(outbox.items[0]).toBeUndefined();
  });

  it('waits across a lost connection and goes on after the reconnect', async () => {
    link.autoAck = false;
    link.goOnline();
    make(1).start();
    await vi.advanceTimersByTimeAsync(0);
    link.goOffline();
    outbox.add(reading(5));
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

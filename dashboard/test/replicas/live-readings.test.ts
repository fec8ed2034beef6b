import { DashboardEvents, type DeliveryFigures, Fleet, LiveReadings } from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { ManualClock, quietLogger, telemetry } from '../server/fixtures.js';

/** A fleet in replica mode (MQTT_SHARE_GROUP) on a store whose delivery figures the test sets. */
function replica() {
  const figures = new Map<string, DeliveryFigures>();
  const events = new DashboardEvents();
  const clock = new ManualClock(Date.parse('2025-03-01T12:00:05.000Z'));
  const fleet = new Fleet({
    store: { loadDevices: () => [], allDelivery: () => new Map(figures) },
    events,
    logger: quietLogger(),
    clock,
    liveReadings: true,
  });
  fleet.load();
  const live = new LiveReadings({ fleet, topics: new Topics(), clock, logger: quietLogger() });
  const seen: string[] = [];
  events.on('telemetry', (reading) => seen.push(`telemetry ${reading.device_id} ${reading.seq}`));
  events.on('device', (summary) => seen.push(`device ${summary.device_id} ${summary.delivery.received}`));
  const message = (payload: unknown, topic = 'devices/pi-1/data') => ({
    topic,
    payload: Buffer.from(JSON.stringify(payload)),
    retain: false,
  });
  return { fleet, live, seen, figures, message };
}

describe('replicas: the live push (LiveReadings, Fleet.live)', () => {
  it('announces a reading received live once, and shows its device, new or known', () => {
    const { fleet, live, seen, message } = replica();
    live.handle(message(telemetry({ seq: 1 })));
    live.handle(message(telemetry({ seq: 1 })));
    live.handle(message(telemetry({ seq: 2, timestamp: '2025-03-01T12:00:01.000Z' })));
    expect(seen).toEqual(['telemetry pi-1 1', 'device pi-1 0', 'telemetry pi-1 2', 'device pi-1 0']);
    expect(fleet.summary('pi-1')?.latest?.seq).toBe(2);
    expect(live.announced).toBe(2);
  });

  it('drops what is not a valid reading of its topic (the storing replica counts it), and leaves other topics alone', () => {
    const { fleet, live, seen, message } = replica();
    live.handle(message({ seq: 'x' }));
    live.handle(message(telemetry({ device_id: 'pi-2' })));
    live.handle(message(telemetry(), 'devices/pi-1/status'));
    expect(seen).toEqual([]);
    expect(fleet.size).toBe(0);
  });

  it('does not announce again a reading it stored: in replica mode the stored path announces the device, not the reading', () => {
    const { fleet, seen } = replica();
    const draft = fleet.draft();
    const reading = {
      ...telemetry({ seq: 3 }),
      received_at: '2025-03-01T12:00:05.000Z',
      trusted_at: '2025-03-01T12:00:00.000Z',
    };
    draft.telemetry(reading, Date.parse('2025-03-01T12:00:05.000Z'));
    fleet.adopt(draft, new Map([['pi-1', { received: 1, lost: 0, conflicts: 0 }]]));
    expect(seen).toEqual(['device pi-1 1']);
  });

  it('reads the delivery figures again and announces only the devices whose figures changed', () => {
    const { fleet, live, seen, figures, message } = replica();
    live.handle(message(telemetry({ seq: 1 })));
    live.handle(message(telemetry({ device_id: 'pi-2', seq: 1 }), 'devices/pi-2/data'));
    seen.length = 0;
    figures.set('pi-1', { received: 7, lost: 0, conflicts: 0 });
    figures.set('gone', { received: 1, lost: 0, conflicts: 0 });
    fleet.refreshDelivery();
    fleet.refreshDelivery();
    expect(seen).toEqual(['device pi-1 7']);
    expect(fleet.summary('pi-2')?.delivery.received).toBe(0);
  });
});

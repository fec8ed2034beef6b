import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { AckWaiters } from '@fleet/dashboard';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ack, eventually, onlineStatus } from './fixtures.js';
import { startHarness } from './harness.js';

describe('AckWaiters', () => {
  it('holds at most its bound of waits, and counts each wait once until it ends', async () => {
    const waiters = new AckWaiters(2);
    const first = waiters.wait('pi-1', 'a', 5000);
    const second = waiters.wait('pi-1', 'a', 5000);
    expect([waiters.size, waiters.full]).toEqual([2, true]);
    expect(() => waiters.wait('pi-2', 'b', 5000)).toThrow('2 commands are waiting for their ack already.');
    waiters.deliver(ack('pi-1', 'a'));
    expect(await first.ack).toEqual(ack('pi-1', 'a'));
    expect(await second.ack).toEqual(ack('pi-1', 'a'));
    expect([waiters.size, waiters.full]).toEqual([0, false]);
    const third = waiters.wait('pi-2', 'b', 10);
    third.cancel();
    third.cancel();
    expect(await third.ack).toBeNull();
    expect(waiters.size).toBe(0);
  });
});

describe('POST /api/command?wait=N: the bound of waits', () => {
  let broker: BrokerHandle;
  let spy: MqttClient;
  const spied: string[] = [];
  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    spy = await mqtt.connectAsync(broker.url, { clientId: `spy-${Date.now()}` });
    await spy.subscribeAsync('devices/+/commands', { qos: 1 });
    spy.on('message', (_topic, payload) => spied.push(String(payload)));
  });
  afterAll(async () => {
    await spy?.endAsync();
    await broker?.stop();
  });

  it('answers 503 past the bound and sends nothing; a command without wait still goes', async () => {
    const h = await startHarness({ broker, connect: true, commandWaitsMax: 2 });
    try {
      await h.deliver('devices/pi-1/status', onlineStatus('pi-1', { v: 2 }));
      const post = (body: object, query = '') =>
        h.dashboard.app.inject({
          method: 'POST',
          url: `/api/command${query}`,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ device_id: 'pi-1', ...body }),
        });
      // The device never answers: two commands wait.
      const waiting = [post({ mode: 'manuel' }, '?wait=3'), post({ mode: 'auto' }, '?wait=3')];
      await eventually(() => h.dashboard.commands.waiting === 2, 5000, 'two waits');
      const refused = await post({ mode: 'economie', command_id: 'over' }, '?wait=1');
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toEqual({
        status: 'error',
        error:
          'Query parameter "wait" received 1, but 2 commands are waiting for their ack already, the most at once; nothing was sent: send it without "wait" (then read its outcome in GET /api/devices/:id/commands) or try again shortly.',
      });
      expect(h.dashboard.trail.has('over')).toBe(false);
      const unwaited = await post({ mode: 'economie', command_id: 'fire-and-forget' });
      expect(unwaited.statusCode).toBe(200);
      await eventually(() => spied.length === 3, 5000, 'three commands at the broker');
      expect(spied.some((payload) => payload.includes('"over"'))).toBe(false);
      expect((await Promise.all(waiting)).map((r) => r.statusCode)).toEqual([504, 504]);
      expect(h.dashboard.commands.waiting).toBe(0);
    } finally {
      await h.close();
    }
  });
});

import type { AddressInfo } from 'node:net';
import type { FleetEventData } from '@fleet/dashboard';
import { buildDashboard } from '@fleet/dashboard';
import { Topics } from '@fleet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { call, loggedIn } from './access-helpers.js';
import { eventually, onlineStatus, quietLogger, telemetry } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';
import { openStream, type Stream } from './sse-stream.js';

describe('DELETE /api/devices/:id (forgetting a device)', () => {
  let h: Harness;
  const streams: Stream[] = [];
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await h?.close();
  });
  const count = (sql: string, ...params: unknown[]) =>
    h.store.database
      .prepare(sql)
      .pluck()
      .get(...params) as number;
  const devices = async () =>
    (await call(h.dashboard.app, 'GET', '/api/devices'))
      .json()
      .devices.map((d: { device_id: string }) => d.device_id);

  it('removes its registry entry, readings and delivery figures, keeps its commands, and tells the streams', async () => {
    h = await startHarness({ fleetIntervalMs: 50 });
    await h.dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (h.dashboard.app.server.address() as AddressInfo).port;
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'), true);
    await h.deliver('devices/pi-1/availability', 'online', true);
    for (let seq = 0; seq < 30; seq += 1) await h.deliver('devices/pi-1/data', telemetry({ seq }));
    await h.deliver('devices/pi-2/data', telemetry({ device_id: 'pi-2', seq: 0 }));
    h.dashboard.trail.record({
      commandId: 'c-1',
      deviceId: 'pi-1',
      by: { name: 'ada', kind: 'user' },
      command: { mode: 'manuel' },
      outcome: 'no_answer',
    });
    const watcher = openStream(port, '/api/events?device=pi-1&fleet=none');
    const fleet = openStream(port, '/api/events');
    streams.push(watcher, fleet);
    // Their first events (more may follow: the fleet's next update, another summary of pi-1).
    await eventually(() => watcher.events.length >= 1 && fleet.events.length >= 1, 5000, 'the streams');

    const response = await call(h.dashboard.app, 'DELETE', '/api/devices/pi-1');
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(await devices()).toEqual(['pi-2']);
    expect(count('SELECT COUNT(*) FROM telemetry WHERE device_id = ?', 'pi-1')).toBe(0);
    expect(count('SELECT COUNT(*) FROM telemetry WHERE device_id = ?', 'pi-2')).toBe(1);
    expect(count('SELECT COUNT(*) FROM delivery WHERE device_id = ?', 'pi-1')).toBe(0);
    expect(count('SELECT COUNT(*) FROM devices WHERE device_id = ?', 'pi-1')).toBe(0);
    expect(count('SELECT COUNT(*) FROM command_log WHERE device_id = ?', 'pi-1')).toBe(1);
    expect((await call(h.dashboard.app, 'GET', '/api/devices/pi-1/history')).statusCode).toBe(404);

    const forgotten = await eventually(
      () => watcher.events.find((event) => event.event === 'forgotten'),
      5000,
      'the forgotten event',
    );
    expect(forgotten.data).toEqual({ device_id: 'pi-1' });
    const update = await eventually(
      () => fleet.named<FleetEventData>('fleet').find((e) => e.removed?.includes('pi-1')),
      5000,
      'the fleet update',
    );
    expect(update.counts.devices).toBe(1);
    expect(update.rows?.map((row) => row.device_id)).not.toContain('pi-1');

    expect((await call(h.dashboard.app, 'DELETE', '/api/devices/pi-1')).json()).toEqual({
      status: 'error',
      error:
        'Device "pi-1" has never been seen by the dashboard; accepted: the id of a device listed by GET /api/devices.',
    });
    const bad = await call(h.dashboard.app, 'DELETE', '/api/devices/a%20b');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^Path parameter "id" received "a b"; accepted: /);
  });

  it('removes every reading and rollup of a device whose reading is the newest row, and the rowid given again is rolled up', async () => {
    h = await startHarness();
    await h.deliver('devices/pi-2/data', telemetry({ device_id: 'pi-2', seq: 0 }));
    for (let seq = 0; seq < 5; seq += 1) await h.deliver('devices/pi-1/data', telemetry({ seq }));
    h.store.rollUp(1_000_000);
    const newest = count('SELECT MAX(rowid) FROM telemetry');
    expect(count('SELECT device_id FROM telemetry WHERE rowid = ?', newest)).toBe('pi-1');
    const rollupRows = (device: string) =>
      ['rollup_minute', 'rollup_10min', 'rollup_hour'].map((table) =>
        count(`SELECT COUNT(*) FROM ${table} WHERE device_id = ?`, device),
      );
    expect(rollupRows('pi-1')).toEqual([1, 1, 1]);

    expect((await call(h.dashboard.app, 'DELETE', '/api/devices/pi-1')).statusCode).toBe(204);
    await eventually(
      () => count('SELECT COUNT(*) FROM telemetry WHERE device_id = ?', 'pi-1') === 0,
      5000,
      'the readings removed',
    );
    await eventually(() => rollupRows('pi-1').every((n) => n === 0), 5000, 'the rollups removed');
    // SQLite gives the next row the rowid after the highest left: one of pi-1's, rolled up before.
    await h.deliver('devices/pi-2/data', telemetry({ device_id: 'pi-2', seq: 1 }));
    expect(count('SELECT MAX(rowid) FROM telemetry')).toBeLessThanOrEqual(newest);
    h.store.rollUp(1_000_000);
    expect(count('SELECT SUM(n) FROM rollup_minute WHERE device_id = ?', 'pi-2')).toBe(2);
  });

  it('ignores the retained messages of a forgotten device until it sends a live one, across a restart', async () => {
    h = await startHarness();
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    await h.deliver('devices/pi-1/data', telemetry({ seq: 0 }));
    expect((await call(h.dashboard.app, 'DELETE', '/api/devices/pi-1')).statusCode).toBe(204);

    // What the broker still holds, replayed at every subscription.
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'), true);
    await h.deliver('devices/pi-1/availability', 'online', true);
    expect(await devices()).toEqual([]);
    expect(count('SELECT COUNT(*) FROM forgotten_devices WHERE device_id = ?', 'pi-1')).toBe(1);

    // A dashboard started again on the same database still knows it was forgotten (its reading, the newest
    // row of the table, is gone with the others).
    expect(count('SELECT COUNT(*) FROM telemetry WHERE device_id = ?', 'pi-1')).toBe(0);
    const second = await buildDashboard({
      store: h.store,
      broker: h.broker,
      topics: new Topics(),
      logger: quietLogger(),
      clock: h.clock,
      webPaths: h.webPaths,
      access: { auth: 'off', sessionHours: 12, allowedHosts: [], certNames: [], corsOrigins: [] },
    });
    try {
      const deliver = (topic: string, payload: unknown, retain: boolean) =>
        second.ingest.handle({ topic, payload: Buffer.from(JSON.stringify(payload)), retain });
      expect(second.fleet.ids()).toEqual([]);
      expect(count('SELECT COUNT(*) FROM devices WHERE device_id = ?', 'pi-1')).toBe(0);
      // A registry row of it written back all the same is not loaded.
      h.store.database.prepare("INSERT INTO devices (device_id, first_seen) VALUES ('pi-1', 0)").run();
      second.fleet.load();
      expect(second.fleet.ids()).toEqual([]);
      await deliver('devices/pi-1/status', onlineStatus('pi-1'), true);
      second.ingest.flush();
      expect(second.fleet.ids()).toEqual([]);
      // A live message brings it back, and then its retained ones count again.
      await deliver('devices/pi-1/data', telemetry({ seq: 1 }), false);
      await deliver('devices/pi-1/status', onlineStatus('pi-1', { firmware: 'v1.2.0' }), true);
      second.ingest.flush();
      expect(second.fleet.ids()).toEqual(['pi-1']);
      expect(second.fleet.summary('pi-1')?.firmware).toBe('v1.2.0');
      expect(count('SELECT COUNT(*) FROM forgotten_devices')).toBe(0);
    } finally {
      await second.close();
    }
  });
});

describe('DELETE /api/devices/:id behind the login', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('is for operators and admins', async () => {
    h = await startHarness({ access: { auth: 'on' } });
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    const viewer = await loggedIn(h, 'vera', 'viewer');
    const refused = await call(h.dashboard.app, 'DELETE', '/api/devices/pi-1', { cookie: viewer });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toBe(
      'Your role is viewer; forgetting a device needs the operator or admin role.',
    );
    const operator = await loggedIn(h, 'otto', 'operator');
    expect(
      (await call(h.dashboard.app, 'DELETE', '/api/devices/pi-1', { cookie: operator })).statusCode,
    ).toBe(204);
    expect(h.dashboard.fleet.has('pi-1')).toBe(false);
  });
});

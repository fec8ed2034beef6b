import type { StoredReading } from '@fleet/dashboard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ack, offlineStatus, onlineStatus, stored, telemetry } from './fixtures.js';
import { type IngestParts, ingestParts, message } from './ingest-parts.js';

describe('Ingest', () => {
  let p: IngestParts;
  beforeEach(async () => {
    p = await ingestParts();
  });
  afterEach(async () => {
    await p.close();
  });

  it('stores valid telemetry with its received_at and trusted_at, and announces it once, even when redelivered', async () => {
    const seen: StoredReading[] = [];
    p.events.on('telemetry', (t) => seen.push(t));
    const reading = telemetry({ device_id: 'pi-1', seq: 1 });
    await Promise.all([p.handle('devices/pi-1/data', reading), p.handle('devices/pi-1/data', reading)]);
    await p.handle('devices/pi-1/data', reading); // in a later transaction too
    const expected = stored(reading);
    expect(expected).toMatchObject({
      received_at: '2025-03-01T12:00:00.000Z',
      trusted_at: reading.timestamp,
    });
    expect(p.store.recent({ limit: 10 })).toEqual([expected]);
    expect(seen).toEqual([expected]);
    expect(p.fleet.summary('pi-1')?.latest).toEqual(expected);
    expect(p.fleet.summary('pi-1')?.delivery).toEqual({ received: 1, lost: 0, conflicts: 0 });
    expect(p.ingest.invalid.total()).toBe(0);
  });

  it.each([
    ['not JSON', 'devices/pi-1/data', '{"temperature": '],
    ['not an object', 'devices/pi-1/data', '[1,2]'],
    ['a field out of its schema', 'devices/pi-1/data', { ...telemetry(), batterie: 140 }],
    ['another device id than the topic', 'devices/pi-1/data', telemetry({ device_id: 'pi-9' })],
    ['an invalid status', 'devices/pi-1/status', { device_id: 'pi-1', online: 'yes' }],
    ['a status naming another device', 'devices/pi-1/status', offlineStatus('pi-2')],
    ['an invalid ack', 'devices/pi-1/ack', { ...ack('pi-1', 'c1'), status: 'done' }],
    ['an empty payload', 'devices/pi-1/status', ''],
    ['an availability that is neither online nor offline', 'devices/pi-1/availability', 'up'],
  ])(
    'counts %s for the device and stores nothing (and is done with it at once)',
    async (_what, topic, payload) => {
      await p.handle(topic, payload);
      expect(p.ingest.pending).toBe(0);
      expect(p.ingest.invalid.counts()).toEqual({ 'pi-1': 1 });
      expect(p.store.recent({ limit: 10 })).toEqual([]);
      expect(p.fleet.ids()).toEqual([]);
      expect(p.ingest.acceptedCount).toBe(0);
    },
  );

  it('counts a topic whose device id is not valid', async () => {
    await p.handle('devices/bad id/data', telemetry());
    expect(p.ingest.invalid.counts()).toEqual({ 'bad id': 1 });
    expect(p.fleet.ids()).toEqual([]);
  });

  it('logs invalid messages at most once per device per minute, with the count', async () => {
    const warnings = () => p.log.lines.filter((line) => line.level === 40);
    for (let i = 0; i < 5; i++) await p.handle('devices/pi-1/data', 'nope');
    await p.handle('devices/pi-2/data', 'nope');
    expect(warnings().map((line) => line.device_id)).toEqual(['pi-1', 'pi-2']);
    expect(warnings()[0]?.error).toMatch(/^The telemetry received "nope", which is not JSON/);

    p.clock.advance(59_000);
    await p.handle('devices/pi-1/data', 'nope');
    expect(warnings()).toHaveLength(2);
    p.clock.advance(1_000);
    await p.handle('devices/pi-1/data', 'nope');
    expect(warnings()).toHaveLength(3);
    expect(warnings()[2]).toMatchObject({ device_id: 'pi-1', invalid_total: 7, invalid_since_last_log: 6 });
    expect(p.ingest.invalid.counts()).toEqual({ 'pi-1': 7, 'pi-2': 1 });
  });

  it('keeps a device summary from status, telemetry and acks', async () => {
    const devices: string[] = [];
    p.events.on('device', (summary) => devices.push(`${summary.device_id}:${summary.online}`));
    await p.handle('devices/pi-1/status', onlineStatus('pi-1', { firmware: 'v1.1.0', alerte: true }));
    expect(p.fleet.summary('pi-1')).toMatchObject({
      online: true,
      firmware: 'v1.1.0',
      alerte: true,
      settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
      sensor: { source: 'synthetic', healthy: true },
      ota: { state: 'idle' },
      last_seen: '2025-03-01T12:00:00.000Z',
      latest: null,
      delivery: { received: 0, lost: 0, conflicts: 0 },
    });
    p.clock.advance(5000);
    await p.handle('devices/pi-1/data', telemetry({ alerte: false, firmware: 'v1.1.0' }));
    expect(p.fleet.summary('pi-1')).toMatchObject({ alerte: false, last_seen: '2025-03-01T12:00:05.000Z' });
    const settings = { mode: 'economie', intervalle: 60, seuil_alerte: 20, actif: false } as const;
    await p.handle('devices/pi-1/ack', ack('pi-1', 'c1', { firmware: 'v1.1.0', settings }));
    expect(p.fleet.summary('pi-1')?.settings).toEqual(settings);
    await p.handle('devices/pi-1/status', offlineStatus('pi-1'));
    // Offline: what was known stays known.
    expect(p.fleet.summary('pi-1')).toMatchObject({
      online: false,
      firmware: 'v1.1.0',
      sensor: { healthy: true },
    });
    expect(devices).toEqual(['pi-1:true', 'pi-1:true', 'pi-1:true', 'pi-1:false']);
  });

  it('does not take a retained status as the device being seen now', async () => {
    const old = onlineStatus('pi-1', { timestamp: '2025-02-01T00:00:00.000Z' });
    await p.handle('devices/pi-1/status', old, true);
    expect(p.fleet.summary('pi-1')?.last_seen).toBe('2025-02-01T00:00:00.000Z');
    await p.handle('devices/pi-1/status', onlineStatus('pi-1'), false);
    expect(p.fleet.summary('pi-1')?.last_seen).toBe('2025-03-01T12:00:00.000Z');
  });

  it('keeps the newest reading (by trusted_at) as latest when an older one arrives late', async () => {
    const newer = telemetry({ seq: 5, timestamp: '2025-03-01T12:00:05.000Z', temperature: 25 });
    const older = telemetry({ seq: 2, timestamp: '2025-03-01T11:00:00.000Z', temperature: 18 });
    await p.handle('devices/pi-1/data', newer);
    await p.handle('devices/pi-1/data', older);
    expect(p.fleet.summary('pi-1')?.latest).toEqual(stored(newer));
    expect(p.store.recent({ limit: 10 })).toEqual([stored(older), stored(newer)]);
  });

  it('keeps the registry and the delivery figures across a restart', async () => {
    await p.handle('devices/pi-1/status', onlineStatus('pi-1'));
    await p.handle('devices/pi-1/data', telemetry());
    const before = p.fleet.summaries();
    expect(before[0]?.delivery.received).toBe(1);
    p.registry.stop(); // a clean stop writes the registry
    const { DashboardEvents, Fleet } = await import('@fleet/dashboard');
    const reloaded = new Fleet({ store: p.store, events: new DashboardEvents(), logger: p.log.logger });
    reloaded.load();
    expect(reloaded.summaries()).toEqual(before);
  });

  it('writes the registry at most once a period, and after a crash restores latest readings from the stored ones', async () => {
    await p.handle('devices/pi-1/status', onlineStatus('pi-1'));
    await p.handle('devices/pi-1/data', telemetry({ seq: 0 }));
    expect(p.store.loadDevices()).toEqual([]); // not yet: the writer's tick has not come
    expect(p.registry.flush()).toBe(true);
    expect(p.store.loadDevices().map((record) => record.latest?.seq)).toEqual([0]);
    // Then a crash before the next tick: pi-1's newer reading and a new device are committed, not their rows.
    p.clock.advance(1000);
    await p.handle('devices/pi-1/data', telemetry({ seq: 1, timestamp: '2025-03-01T12:00:01.000Z' }));
    await p.handle('devices/pi-2/data', telemetry({ device_id: 'pi-2', seq: 7 }));
    expect(p.store.loadDevices().map((record) => record.latest?.seq)).toEqual([0]);
    const { DashboardEvents, Fleet, NewestReadings, recoverRegistry } = await import('@fleet/dashboard');
    const readings = new NewestReadings(p.store.database);
    expect(recoverRegistry({ store: p.store, readings, logger: p.log.logger })).toBe(2);
    const reloaded = new Fleet({ store: p.store, events: new DashboardEvents(), logger: p.log.logger });
    reloaded.load();
    expect(reloaded.summary('pi-1')).toEqual(p.fleet.summary('pi-1'));
    expect(reloaded.summary('pi-2')).toEqual(p.fleet.summary('pi-2'));
    expect(p.log.lines.find((line) => line.devices === 2)?.msg).toMatch(/lagged behind the stored readings/);
    // Nothing to repair the next time.
    expect(recoverRegistry({ store: p.store, readings, logger: p.log.logger })).toBe(0);
  });

  it('stores a reading with fields it does not know (a newer device), without them; counts them and logs them at debug', async () => {
    await p.close();
    p = await ingestParts({ level: 'debug' });
    const reading = { ...telemetry(), v: 3, wind_speed: 3.5, gust: { kmh: 12 } };
    await p.handle('devices/pi-1/data', reading);
    await p.handle('devices/pi-1/data', { ...telemetry({ seq: 1 }), v: 3, wind_speed: 4 });
    expect(p.ingest.invalid.counts()).toEqual({});
    expect(p.store.recent({ limit: 10 })).toEqual([
      stored({ ...telemetry(), v: 3 }),
      stored({ ...telemetry({ seq: 1 }), v: 3 }),
    ]);
    expect(p.ingest.ignored.snapshot()).toEqual({ gust: 1, wind_speed: 2 });
    const debug = p.log.lines.filter((line) => line.level === 20 && line.fields);
    expect(debug).toHaveLength(2);
    expect(debug[1]).toMatchObject({
      device_id: 'pi-1',
      topic: 'devices/pi-1/data',
      fields: ['wind_speed'],
      ignored_total: { gust: 1, wind_speed: 2 },
      msg: 'Ignored fields this release does not know; the rest of the message is used',
    });
  });

  it('reads the topics of its root only (MQTT_TOPIC_ROOT)', async () => {
    await p.close();
    const { Topics } = await import('@fleet/shared');
    p = await ingestParts({ topics: new Topics('home/sensors') });
    await p.handle('home/sensors/pi-1/data', telemetry());
    await p.ingest.handle(message('devices/pi-2/data', telemetry({ device_id: 'pi-2' })));
    expect(p.fleet.ids()).toEqual(['pi-1']);
    expect(p.ingest.invalid.counts()).toEqual({ 'pi-2': 1 });
  });
});

import { DashboardEvents, Fleet, Ingest, type TelemetryStore } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ack,
  capturingLogger,
  ManualClock,
  offlineStatus,
  onlineStatus,
  openStore,
  telemetry,
  tempDir,
} from './fixtures.js';

const message = (topic: string, payload: unknown, retain = false) => ({
  topic,
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  retain,
});

describe('Ingest', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  let clock: ManualClock;
  let events: DashboardEvents;
  let fleet: Fleet;
  let ingest: Ingest;
  let log: ReturnType<typeof capturingLogger>;

  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
    clock = new ManualClock(Date.parse('2025-03-01T12:00:00Z'));
    log = capturingLogger('info');
    events = new DashboardEvents();
    fleet = new Fleet({ store, events, clock, logger: log.logger });
    store.onStored((rows) => fleet.recordTelemetry(rows));
    ingest = new Ingest({ store, fleet, clock, logger: log.logger });
  });
  afterEach(async () => {
    store.close();
    await dir.remove();
  });

  it('stores valid telemetry and announces it once, even when redelivered', () => {
    const seen: Telemetry[] = [];
    events.on('telemetry', (t) => seen.push(t));
    const reading = telemetry({ device_id: 'pi-1', seq: 1 });
    ingest.handle(message('devices/pi-1/data', reading));
    ingest.handle(message('devices/pi-1/data', reading));
    store.flush();
    expect(store.recent({ limit: 10 })).toEqual([reading]);
    expect(seen).toEqual([reading]);
    expect(fleet.summary('pi-1')?.latest).toEqual(reading);
    expect(ingest.invalid.total()).toBe(0);
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
  ])('counts %s for the device and stores nothing', (_what, topic, payload) => {
    ingest.handle(message(topic, payload));
    store.flush();
    expect(ingest.invalid.counts()).toEqual({ 'pi-1': 1 });
    expect(store.recent({ limit: 10 })).toEqual([]);
    expect(fleet.ids()).toEqual([]);
    expect(ingest.acceptedCount).toBe(0);
  });

  it('stores a reading with a field it does not know (a newer device during a rolling update), without that field', () => {
    ingest.handle(message('devices/pi-1/data', { ...telemetry(), wind_speed: 3.5 }));
    store.flush();
    expect(ingest.invalid.counts()).toEqual({});
    expect(store.recent({ limit: 10 })).toEqual([telemetry()]);
  });

  it('counts a topic whose device id is not valid', () => {
    ingest.handle(message('devices/bad id/data', telemetry()));
    expect(ingest.invalid.counts()).toEqual({ 'bad id': 1 });
    expect(fleet.ids()).toEqual([]);
  });

  it('logs invalid messages at most once per device per minute, with the count', () => {
    const warnings = () => log.lines.filter((line) => line.level === 40);
    for (let i = 0; i < 5; i++) ingest.handle(message('devices/pi-1/data', 'nope'));
    ingest.handle(message('devices/pi-2/data', 'nope'));
    expect(warnings().map((line) => line.device_id)).toEqual(['pi-1', 'pi-2']);
    expect(warnings()[0]?.error).toMatch(/^The telemetry received "nope", which is not JSON/);

    clock.advance(59_000);
    ingest.handle(message('devices/pi-1/data', 'nope'));
    expect(warnings()).toHaveLength(2);
    clock.advance(1_000);
    ingest.handle(message('devices/pi-1/data', 'nope'));
    expect(warnings()).toHaveLength(3);
    expect(warnings()[2]).toMatchObject({ device_id: 'pi-1', invalid_total: 7, invalid_since_last_log: 6 });
    expect(ingest.invalid.counts()).toEqual({ 'pi-1': 7, 'pi-2': 1 });
  });

  it('keeps a device summary from status, telemetry and acks', () => {
    const devices: string[] = [];
    events.on('device', (summary) => devices.push(`${summary.device_id}:${summary.online}`));
    ingest.handle(message('devices/pi-1/status', onlineStatus('pi-1', { firmware: 'v1.1.0', alerte: true })));
    expect(fleet.summary('pi-1')).toMatchObject({
      online: true,
      firmware: 'v1.1.0',
      alerte: true,
      settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
      sensor: { source: 'synthetic', healthy: true },
      ota: { state: 'idle' },
      last_seen: '2025-03-01T12:00:00.000Z',
      latest: null,
    });
    clock.advance(5000);
    ingest.handle(message('devices/pi-1/data', telemetry({ alerte: false, firmware: 'v1.1.0' })));
    store.flush();
    expect(fleet.summary('pi-1')).toMatchObject({ alerte: false, last_seen: '2025-03-01T12:00:05.000Z' });
    ingest.handle(
      message(
        'devices/pi-1/ack',
        ack('pi-1', 'c1', {
          firmware: 'v1.1.0',
          settings: { mode: 'economie', intervalle: 60, seuil_alerte: 20, actif: false },
        }),
      ),
    );
    expect(fleet.summary('pi-1')?.settings).toEqual({
      mode: 'economie',
      intervalle: 60,
      seuil_alerte: 20,
      actif: false,
    });
    ingest.handle(message('devices/pi-1/status', offlineStatus('pi-1')));
    // Offline: what was known stays known.
    expect(fleet.summary('pi-1')).toMatchObject({
      online: false,
      firmware: 'v1.1.0',
      sensor: { healthy: true },
    });
    expect(devices).toEqual(['pi-1:true', 'pi-1:true', 'pi-1:true', 'pi-1:false']);
  });

  it('does not take a retained status as the device being seen now', () => {
    ingest.handle(
      message('devices/pi-1/status', onlineStatus('pi-1', { timestamp: '2025-02-01T00:00:00.000Z' }), true),
    );
    expect(fleet.summary('pi-1')?.last_seen).toBe('2025-02-01T00:00:00.000Z');
    ingest.handle(message('devices/pi-1/status', onlineStatus('pi-1'), false));
    expect(fleet.summary('pi-1')?.last_seen).toBe('2025-03-01T12:00:00.000Z');
  });

  it('keeps the newest reading as latest when an older one arrives late', () => {
    const newer = telemetry({ seq: 5, timestamp: '2025-03-01T12:00:05.000Z', temperature: 25 });
    const older = telemetry({ seq: 2, timestamp: '2025-03-01T11:00:00.000Z', temperature: 18 });
    ingest.handle(message('devices/pi-1/data', newer));
    store.flush();
    ingest.handle(message('devices/pi-1/data', older));
    store.flush();
    expect(fleet.summary('pi-1')?.latest).toEqual(newer);
    expect(store.recent({ limit: 10 })).toEqual([older, newer]);
  });

  it('keeps the registry across a restart', () => {
    ingest.handle(message('devices/pi-1/status', onlineStatus('pi-1')));
    ingest.handle(message('devices/pi-1/data', telemetry()));
    store.flush();
    const before = fleet.summaries();
    const reloaded = new Fleet({ store, events: new DashboardEvents(), clock, logger: log.logger });
    reloaded.load();
    expect(reloaded.summaries()).toEqual(before);
  });
});

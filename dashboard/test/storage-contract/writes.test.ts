import type { StoredReading } from '@fleet/dashboard';
import { expect, it } from 'vitest';
import type { DeviceRecord } from '../../src/fleet/device-record.js';
import { readingsPathParts } from '../../src/storage/postgres/pg-service-parts.js';
import { capturingLogger, stored, telemetry } from '../server/fixtures.js';
import { describeOnEngines } from './engines.js';

const item = (reading: StoredReading) => ({
  reading,
  trustedAt: Date.parse(reading.trusted_at),
  receivedAt: Date.parse(reading.received_at),
});
const c2 = (overrides: Parameters<typeof telemetry>[0] = {}) =>
  stored(telemetry({ v: 2, epoch: 'e1', clock_synced: true, ...overrides }));

describeOnEngines('Storage contract: identity, dedupe, conflicts, delivery', (open) => {
  it('files a reading once by (device, epoch, seq): a redelivery is a duplicate, in one group or across groups', async () => {
    const store = await open();
    const a = c2({ seq: 1 });
    expect((await store.writeReadings([item(a), item(a)])).map((o) => o.kind)).toEqual([
      'stored',
      'duplicate',
    ]);
    expect((await store.writeReadings([item(a)])).map((o) => o.kind)).toEqual(['duplicate']);
    // The same seq in another epoch, or of another device, is another reading.
    const other = [c2({ seq: 1, epoch: 'e2' }), c2({ seq: 1, device_id: 'pi-2' })];
    expect((await store.writeReadings(other.map(item))).map((o) => o.kind)).toEqual(['stored', 'stored']);
    const recent = await store.recent({ limit: 10 });
    expect(recent).toHaveLength(3);
    expect(recent.filter((r) => r.device_id === 'pi-1' && r.epoch === 'e1')).toEqual([a]);
    expect(await store.deliveryOf(['pi-1'])).toEqual(
      new Map([['pi-1', { received: 2, lost: 0, conflicts: 0 }]]),
    );
  });

  it('keeps the first of two readings under one identity and counts the conflict, naming the fields', async () => {
    const store = await open();
    const first = c2({ seq: 7, temperature: 20 });
    await store.writeReadings([item(first)]);
    const outcomes = await store.writeReadings([item(c2({ seq: 7, temperature: 99, batterie: 10 }))]);
    expect(outcomes).toEqual([{ kind: 'conflict', stored: first, fields: ['temperature', 'batterie'] }]);
    expect((await store.recent({ deviceId: 'pi-1', limit: 5 })).map((r) => r.temperature)).toEqual([20]);
    expect((await store.deliveryOf(['pi-1'])).get('pi-1')).toEqual({ received: 1, lost: 0, conflicts: 1 });
  });

  it('a re-stamped copy (the clock set since) corrects the stored time; it is not a conflict', async () => {
    const store = await open();
    const unsynced = c2({ seq: 4, timestamp: '2024-03-01T12:00:00.000Z', clock_synced: false });
    await store.writeReadings([item(unsynced)]);
    const fixed = stored({ ...unsynced, timestamp: '2025-03-01T11:59:58.000Z', clock_synced: true });
    expect(await store.writeReadings([item(fixed)])).toEqual([{ kind: 'restamped' }]);
    const [row] = await store.recent({ deviceId: 'pi-1', limit: 1 });
    expect([row?.timestamp, row?.clock_synced, row?.trusted_at]).toEqual([
      '2025-03-01T11:59:58.000Z',
      true,
      '2025-03-01T11:59:58.000Z',
    ]);
    expect((await store.deliveryOf(['pi-1'])).get('pi-1')).toEqual({ received: 1, lost: 0, conflicts: 0 });
  });

  it('counts received, lost (seq gaps per epoch of contract 2; none for contract 1) and conflicts', async () => {
    const store = await open();
    const a = (seq: number, epoch = 'e1') => c2({ seq, epoch });
    const b = (seq: number) => c2({ device_id: 'pi-2', seq, epoch: 'x' });
    const v1 = (seq: number) => stored(telemetry({ device_id: 'pi-3', seq }));
    await store.writeReadings([a(5), a(2), b(0), a(5), a(9, 'e2'), b(3), v1(1), v1(10)].map(item));
    await store.writeReadings([item(c2({ seq: 2, temperature: 99 }))]);
    expect(Object.fromEntries(await store.deliveryOf(['pi-2', 'pi-1', 'pi-3', 'pi-9']))).toEqual({
      'pi-1': { received: 3, lost: 2, conflicts: 1 },
      'pi-2': { received: 2, lost: 2, conflicts: 0 },
      'pi-3': { received: 2, lost: 0, conflicts: 0 },
      'pi-9': { received: 0, lost: 0, conflicts: 0 },
    });
    // A later group fills the gap of e1 and widens it: the counts add up across groups.
    await store.writeReadings([a(3), a(4), a(1)].map(item));
    expect(Object.fromEntries(await store.allDelivery())).toEqual({
      'pi-1': { received: 6, lost: 0, conflicts: 1 },
      'pi-2': { received: 2, lost: 2, conflicts: 0 },
      'pi-3': { received: 2, lost: 0, conflicts: 0 },
    });
    expect(await store.deliveryTotals()).toEqual({ received: 10, lost: 2, conflicts: 1 });
    expect(await store.deliveryOf([])).toEqual(new Map());
  });

  it('keeps the device registry: saved rows load back whole, a second save replaces them', async () => {
    const store = await open();
    expect(await store.loadDevices()).toEqual([]);
    const record = (id: string, overrides: Partial<DeviceRecord> = {}): DeviceRecord => ({
      device_id: id,
      first_seen: 1_740_830_400_000,
      last_seen: 1_740_830_460_000,
      status: null,
      online_status: null,
      latest: c2({ device_id: id }),
      settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
      firmware: 'v1.0.0',
      alerte: false,
      availability: 'online',
      ...overrides,
    });
    await store.saveDevices([
      record('pi-b'),
      record('pi-a', { alerte: true, availability: null, latest: null }),
    ]);
    expect(await store.loadDevices()).toEqual([
      record('pi-a', { alerte: true, availability: null, latest: null }),
      record('pi-b'),
    ]);
    await store.saveDevices([record('pi-b', { last_seen: 1_740_830_999_000, firmware: 'v1.1.0' })]);
    expect((await store.loadDevices()).find((r) => r.device_id === 'pi-b')).toEqual(
      record('pi-b', { last_seen: 1_740_830_999_000, firmware: 'v1.1.0' }),
    );
    expect(await store.isHealthy()).toBe(true);
  });

  it('gives each device its newest reading, and a registry behind the readings is repaired from them at start', async () => {
    const store = await open();
    const at = (seq: number, device_id = 'pi-1') =>
      c2({
        device_id,
        seq,
        timestamp: new Date(Date.parse('2025-03-01T12:00:00.000Z') + seq * 1000).toISOString(),
      });
    await store.writeReadings(
      [at(0), at(1), at(2), at(0, 'pi-2'), at(5, 'pi-2'), at(0, 'pi-gone')].map(item),
    );
    const newest = await store.newestReadings();
    expect([...newest].map(([id, r]) => [id, r.seq]).sort()).toEqual([
      ['pi-1', 2],
      ['pi-2', 5],
      ['pi-gone', 0],
    ]);
    // The registry knows pi-1 up to seq 0 only, pi-2 not at all (the last second before a crash).
    const behind: DeviceRecord = {
      device_id: 'pi-1',
      first_seen: Date.parse('2025-03-01T12:00:00.000Z'),
      last_seen: Date.parse('2025-03-01T12:00:00.000Z'),
      status: null,
      online_status: null,
      latest: at(0),
      settings: null,
      firmware: 'v1.0.0',
      alerte: false,
      availability: null,
    };
    await store.saveDevices([behind]);
    const { logger, lines } = capturingLogger('info');
    const parts = await readingsPathParts(
      store,
      { isHealthy: () => true },
      {
        logger,
        forgotten: (id) => id === 'pi-gone',
      },
    );
    const loaded = parts.registry.loadDevices();
    expect(loaded.map((r) => [r.device_id, r.latest?.seq])).toEqual([
      ['pi-1', 2],
      ['pi-2', 5],
    ]);
    expect((await store.loadDevices()).map((r) => [r.device_id, r.latest?.seq])).toEqual([
      ['pi-1', 2],
      ['pi-2', 5],
    ]);
    expect(lines.find((line) => String(line.msg).startsWith('The device registry lagged'))?.devices).toBe(2);
    expect(parts.registry.allDelivery().get('pi-2')).toEqual({ received: 2, lost: 4, conflicts: 0 });
    expect(await parts.health.isHealthy()).toBe(true);
  });

  it('forgets a device: its registry row, figures and readings received up to then; its later readings and the others stay', async () => {
    const store = await open();
    const at = (seq: number, device_id: string, received: string) =>
      stored(
        telemetry({ v: 2, epoch: 'e1', clock_synced: true, device_id, seq, timestamp: received }),
        received,
      );
    const early = '2025-03-01T12:00:00.000Z';
    const late = '2025-03-01T13:00:00.000Z';
    await store.writeReadings(
      [at(0, 'pi-1', early), at(1, 'pi-1', early), at(2, 'pi-1', late), at(0, 'pi-2', early)].map(item),
    );
    await store.history({ deviceId: 'pi-1', limit: 1, form: 'buckets' }); // rolled up
    const record = (await store.newestReadings()).get('pi-1');
    await store.saveDevices([
      {
        device_id: 'pi-1',
        first_seen: Date.parse(early),
        last_seen: Date.parse(late),
        status: null,
        online_status: null,
        latest: record ?? null,
        settings: null,
        firmware: null,
        alerte: false,
        availability: null,
      },
    ]);
    expect(await store.forgetDevice('pi-1', Date.parse(early) + 1000)).toBe(2);
    expect(await store.loadDevices()).toEqual([]);
    expect([...(await store.allDelivery()).keys()]).toEqual(['pi-2']);
    expect((await store.recent({ limit: 10 })).map((r) => `${r.device_id}/${r.seq}`)).toEqual([
      'pi-2/0',
      'pi-1/2',
    ]);
  });
});

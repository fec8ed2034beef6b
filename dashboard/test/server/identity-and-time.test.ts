import { FUTURE_TOLERANCE_MS, RetentionJob, trustedTime } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quietLogger, readings, stored, telemetry } from './fixtures.js';
import { type IngestParts, ingestParts } from './ingest-parts.js';

const DAY = 24 * 60 * 60 * 1000;
const c2 = (overrides: Partial<Telemetry>) =>
  telemetry({ v: 2, clock_synced: true, epoch: 'e1', ...overrides });

describe('the time a reading is filed under (trusted_at)', () => {
  const at = Date.parse('2025-03-01T12:00:00.000Z');
  it.each([
    [
      'a synced timestamp in the past',
      { timestamp: '2025-02-01T00:00:00.000Z', clock_synced: true },
      '2025-02-01T00:00:00.000Z',
    ],
    [
      'a contract 1 timestamp (no clock_synced)',
      { timestamp: '2025-03-01T11:59:00.000Z' },
      '2025-03-01T11:59:00.000Z',
    ],
    [
      'a timestamp up to 5 minutes ahead',
      { timestamp: '2025-03-01T12:05:00.000Z', clock_synced: true },
      '2025-03-01T12:05:00.000Z',
    ],
    [
      'a timestamp more than 5 minutes ahead',
      { timestamp: '2025-03-01T12:05:00.001Z', clock_synced: true },
      '2025-03-01T12:00:00.000Z',
    ],
    [
      'a contract 1 timestamp from the future',
      { timestamp: '2026-03-01T00:00:00.000Z' },
      '2025-03-01T12:00:00.000Z',
    ],
    [
      'an unsynced clock, whatever its time',
      { timestamp: '2025-03-01T11:59:00.000Z', clock_synced: false },
      '2025-03-01T12:00:00.000Z',
    ],
  ])('%s', (_what, reading, expected) => {
    expect(new Date(trustedTime(reading, at)).toISOString()).toBe(expected);
  });

  it('tolerates 5 minutes', () => {
    expect(FUTURE_TOLERANCE_MS).toBe(300_000);
  });
});

describe('Ingest: identity, delivery and time', () => {
  let p: IngestParts;
  beforeEach(async () => {
    p = await ingestParts();
  });
  afterEach(async () => {
    await p.close();
  });
  const send = (list: Telemetry[]) =>
    Promise.all(list.map((r) => p.handle(`devices/${r.device_id}/data`, r)));

  it('stores a new epoch whose seq starts again at 0 (state lost), makes it latest, and counts epochs apart', async () => {
    await send(
      [0, 1, 2, 3, 5].map((seq) =>
        c2({ seq, timestamp: new Date(Date.parse('2025-03-01T11:00:00Z') + seq * 1000).toISOString() }),
      ),
    );
    expect(p.fleet.summary('pi-1')?.delivery).toEqual({ received: 5, lost: 1, conflicts: 0 });
    p.clock.advance(60_000);
    const restarted = [0, 1, 2].map((seq) =>
      c2({ seq, epoch: 'e2', timestamp: `2025-03-01T12:00:3${seq}.000Z`, temperature: 30 + seq }),
    );
    await send(restarted);
    expect(p.store.recent({ limit: 100 })).toHaveLength(8);
    expect(p.fleet.summary('pi-1')?.latest).toEqual(
      stored(restarted[2] as Telemetry, '2025-03-01T12:01:00.000Z'),
    );
    expect(p.fleet.summary('pi-1')?.delivery).toEqual({ received: 8, lost: 1, conflicts: 0 });
  });

  it('keeps the first of two readings that differ under one identity, counts it and logs it at warn with the fields', async () => {
    const first = c2({ seq: 9, temperature: 20.5 });
    await send([first]);
    const announced: number[] = [];
    p.events.on('device', (summary) => announced.push(summary.delivery.conflicts));
    await send([{ ...first, temperature: 21.5, batterie: 80 }, first]);
    expect(announced).toEqual([1]); // the page hears of it
    expect(p.store.recent({ limit: 10 })).toEqual([stored(first)]);
    expect(p.fleet.summary('pi-1')?.delivery).toEqual({ received: 1, lost: 0, conflicts: 1 });
    const warnings = p.log.lines.filter((line) => line.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({
        device_id: 'pi-1',
        epoch: 'e1',
        seq: 9,
        fields: ['temperature', 'batterie'],
        stored: { temperature: 20.5, batterie: 88 },
        received: { temperature: 21.5, batterie: 80 },
        msg: 'A reading arrived again with other content (temperature, batterie); the first one is kept and the conflict counted',
      }),
    ]);
  });

  it('takes a reading re-stamped by its device (sent before its clock was set, again after) as a correction, not a conflict', async () => {
    const unsynced = c2({ seq: 4, timestamp: '2024-03-01T12:00:00.000Z', clock_synced: false });
    await send([unsynced]);
    expect(p.fleet.summary('pi-1')?.latest?.trusted_at).toBe('2025-03-01T12:00:00.000Z');
    p.clock.advance(30_000);
    const restamped = { ...unsynced, timestamp: '2025-03-01T11:59:58.000Z', clock_synced: true };
    await send([restamped]);
    const [row] = p.store.recent({ limit: 10 });
    expect([row?.timestamp, row?.clock_synced, row?.trusted_at, row?.received_at]).toEqual([
      '2025-03-01T11:59:58.000Z',
      true,
      '2025-03-01T11:59:58.000Z',
      '2025-03-01T12:00:00.000Z',
    ]);
    expect(p.fleet.summary('pi-1')?.latest?.timestamp).toBe('2025-03-01T11:59:58.000Z');
    expect(p.fleet.summary('pi-1')?.delivery).toEqual({ received: 1, lost: 0, conflicts: 0 });
    // Not the other way round: an unsynced copy after a synced one, or other content, is a conflict.
    await send([{ ...unsynced, temperature: 99 }]);
    expect(p.fleet.summary('pi-1')?.delivery.conflicts).toBe(1);
  });

  it('files an unsynced year-old reading and one from tomorrow when they arrive: both kept by retention, neither latest forever', async () => {
    const yearOld = c2({ seq: 0, timestamp: '2024-03-01T12:00:00.000Z', clock_synced: false });
    const tomorrow = c2({ seq: 1, timestamp: '2025-03-02T12:00:00.000Z' });
    await send([yearOld, tomorrow]);
    const filed = p.store.recent({ limit: 10 });
    expect(filed.map((r) => [r.seq, r.timestamp, r.trusted_at])).toEqual([
      [0, '2024-03-01T12:00:00.000Z', '2025-03-01T12:00:00.000Z'],
      [1, '2025-03-02T12:00:00.000Z', '2025-03-01T12:00:00.000Z'],
    ]);
    const job = new RetentionJob({ store: p.store, clock: p.clock, logger: quietLogger(), historyDays: 30 });
    expect(await job.run()).toBe(0);

    p.clock.advance(5000);
    const next = c2({ seq: 2, timestamp: '2025-03-01T12:00:05.000Z' });
    await send([next]);
    expect(p.fleet.summary('pi-1')?.latest).toEqual(stored(next, '2025-03-01T12:00:05.000Z'));
    // 31 days on, the year-old reading goes with the others of its day of arrival, not before.
    p.clock.advance(31 * DAY);
    expect(await job.run()).toBe(3);
  });

  it('orders the history by trusted_at: a late reading from an outbox takes its place, an unsynced one comes last', async () => {
    const list = readings('pi-1', 3, '2025-03-01T11:00:00Z').map((r) => ({
      ...r,
      v: 2,
      epoch: 'e1',
      clock_synced: true,
    }));
    const late = { ...list[0], seq: 3, timestamp: '2025-03-01T10:00:00.000Z' } as Telemetry;
    const unsynced = {
      ...list[0],
      seq: 4,
      timestamp: '2020-01-01T00:00:00.000Z',
      clock_synced: false,
    } as Telemetry;
    await send([...list, late, unsynced]);
    expect(p.store.recent({ limit: 10 }).map((r) => r.seq)).toEqual([3, 0, 1, 2, 4]);
    expect(
      p.store
        .history({ deviceId: 'pi-1', from: Date.parse('2025-03-01T11:59:00Z'), limit: 10, form: 'readings' })
        .readings.map((r) => r.seq),
    ).toEqual([4]);
  });
});

import { parseTelemetry } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { deviceIds, payload } from '../src/telemetry.js';

describe('the bench devices', () => {
  it('publish readings of contract 2 that the shared validation accepts as they are', () => {
    for (const [seq, at] of [
      [0, Date.UTC(2026, 0, 1)],
      [12_345, Date.UTC(2026, 6, 1, 13, 0, 0, 250)],
    ] as const) {
      const parsed = parseTelemetry(payload('b-0042', seq, at));
      expect(parsed).toMatchObject({ ok: true });
      if (!parsed.ok) continue;
      expect(parsed.ignored ?? []).toEqual([]);
      expect(parsed.value).toMatchObject({
        v: 2,
        device_id: 'b-0042',
        seq,
        epoch: 'bench',
        clock_synced: true,
        timestamp: new Date(at).toISOString(),
      });
    }
  });

  it('stamp the send time to the millisecond, and keep payloads small', () => {
    const at = Date.UTC(2026, 11, 1, 3, 4, 5, 678);
    const body = payload('b-9999', 1_000_000, at);
    expect(JSON.parse(body.toString()).timestamp).toBe('2026-12-01T03:04:05.678Z');
    // The broker bounds a session's queue in bytes: 200 000 readings must fit in 64 MiB.
    expect(body.length).toBeLessThan(335);
  });

  it('have ids that are valid, distinct and sort in order', () => {
    const ids = deviceIds(10_000);
    expect(ids[0]).toBe('b-0000');
    expect(ids[9999]).toBe('b-9999');
    expect(new Set(ids).size).toBe(10_000);
    expect([...ids].sort()).toEqual(ids);
    expect(deviceIds(3)).toEqual(['b-0000', 'b-0001', 'b-0002']);
  });
});

import type { StoredReading, TelemetryStore } from '@fleet/dashboard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, stored, telemetry, tempDir } from './fixtures.js';

describe('ReadingWriter: a group of readings', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  const item = (reading: StoredReading) => ({
    reading,
    trustedAt: Date.parse(reading.trusted_at),
    receivedAt: Date.parse(reading.received_at),
  });
  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
  });
  afterEach(async () => {
    store.close();
    await dir.remove();
  });

  it('files each reading and counts the group once per device and epoch, as one reading at a time would', () => {
    const a = (seq: number, epoch = 'e1') => stored(telemetry({ seq, epoch, v: 2 }));
    const b = (seq: number) => stored(telemetry({ device_id: 'pi-2', seq, epoch: 'x', v: 2 }));
    const group = [a(5), a(2), b(0), a(5), a(9, 'e2'), b(3)];
    // The same identity twice in one group, the second with other content: a conflict counted in the group.
    const conflicting = stored(telemetry({ seq: 2, epoch: 'e1', v: 2, temperature: 99 }));
    const outcomes = store.transaction(() => store.writeReadings([...group, conflicting].map(item)));
    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      'stored',
      'stored',
      'stored',
      'duplicate',
      'stored',
      'stored',
      'conflict',
    ]);
    // pi-1: e1 has seqs 2 and 5 (3 and 4 missing), e2 has 9; pi-2: 0 and 3 (1 and 2 missing).
    expect(store.delivery('pi-1')).toEqual({ received: 3, lost: 2, conflicts: 1 });
    expect(store.delivery('pi-2')).toEqual({ received: 2, lost: 2, conflicts: 0 });
    expect(Object.fromEntries(store.deliveryOf(['pi-2', 'pi-1', 'pi-9']))).toEqual({
      'pi-1': { received: 3, lost: 2, conflicts: 1 },
      'pi-2': { received: 2, lost: 2, conflicts: 0 },
      'pi-9': { received: 0, lost: 0, conflicts: 0 },
    });
    // A later group fills the gap of e1 and widens it: the counts add up across groups.
    store.transaction(() => store.writeReadings([a(3), a(4), a(1)].map(item)));
    expect(store.delivery('pi-1')).toEqual({ received: 6, lost: 0, conflicts: 1 });
    expect(store.deliveryOf([])).toEqual(new Map());
  });
});

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DevicesResponse, HistoryResponse, StoredReading } from '@fleet/dashboard';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drillSkipReason, drillStack } from '../../dashboard/test/drills/drill-kit.js';
import { eventually } from '../../dashboard/test/server/fixtures.js';
import { faketimeEnv, findLibfaketime, setFakeClock } from '../../edge/test/drills/support/clock-faketime.js';
import { spawnDrillEdge, stopGracefully } from '../../edge/test/drills/support/edge-drill.js';
import { TcpGate } from '../../edge/test/drills/support/tcp-gate.js';
import { assertBuilt, type EdgeProcess } from '../../edge/test/integration/support/edge-process.js';

/**
 * The drills of issue 9 that need both ends, with real processes: the compiled edge (edge/dist/main.js), a
 * real Mosquitto and the compiled dashboard (dashboard/dist/main.js), read through its REST API as the page
 * reads it. The edge and the dashboard each have their own drills for the rest (edge/test/drills,
 * dashboard/test/drills).
 */

const LIBFAKETIME = findLibfaketime();
const DAY_MS = 24 * 3600 * 1000;
const skip = drillSkipReason('the device-to-dashboard drills');

describe.skipIf(skip !== null)('device to dashboard drills', () => {
  const stack = drillStack();
  const edges: EdgeProcess[] = [];

  const history = async (id: string) =>
    (await stack.dashboard.get<HistoryResponse>(`/api/devices/${id}/history?limit=1000`)).history;
  const summary = async (id: string) =>
    (await stack.dashboard.get<DevicesResponse>('/api/devices')).devices.find((d) => d.device_id === id);
  /** Waits until the dashboard's history of `id` satisfies `done`, and gives it. */
  const historyUntil = async (
    id: string,
    done: (readings: StoredReading[]) => boolean,
    timeoutMs = 20_000,
  ) => {
    let last: StoredReading[] = [];
    await eventually(
      async () => {
        last = await history(id);
        return done(last);
      },
      timeoutMs,
      () => `the history of ${id} (${last.length} readings: ${JSON.stringify(last.slice(-2))})`,
    );
    return last;
  };

  beforeAll(async () => {
    assertBuilt();
    await stack.dashboard.start();
  });
  afterEach(async () => {
    await Promise.all(edges.splice(0).map((edge) => edge.kill()));
  });

  it.skipIf(LIBFAKETIME === null)(
    'clock: a device started a year behind has its readings filed at the time they arrived, and at its own time once its clock is set (libfaketime)',
    async () => {
      const id = 'e2e-clock';
      const timeFile = join(stack.tmp, 'faketime');
      await setFakeClock(timeFile, '-365d');
      const startedAt = Date.now();
      const edge = spawnDrillEdge(stack.broker, id, join(stack.tmp, id), {
        PUBLISH_INTERVAL: '1',
        ...faketimeEnv(LIBFAKETIME as string, timeFile),
      });
      edges.push(edge);

      // A year behind: stored with the device's timestamp as it came, filed at the time it arrived.
      const behind = await historyUntil(id, (readings) => readings.length >= 3);
      for (const reading of behind) {
        expect(reading.clock_synced).toBe(false);
        expect((Date.now() - Date.parse(reading.timestamp)) / DAY_MS).toBeCloseTo(365, 0);
        expect(reading.trusted_at).toBe(reading.received_at);
        expect(Date.parse(reading.trusted_at)).toBeGreaterThanOrEqual(startedAt - 1_000);
        expect(Date.parse(reading.trusted_at)).toBeLessThanOrEqual(Date.now());
      }
      expect((await summary(id))?.clock_synced).toBe(false);

      // NTP sets the clock: the next readings are filed at their own timestamp.
      await setFakeClock(timeFile, '+0');
      const setAt = Date.now();
      const after = await historyUntil(id, (readings) => readings.filter((r) => r.clock_synced).length >= 2);
      for (const reading of after.filter((r) => r.clock_synced)) {
        expect(reading.trusted_at).toBe(reading.timestamp);
        expect(Date.parse(reading.timestamp)).toBeGreaterThan(setAt - 2_000);
        expect(Math.abs(Date.parse(reading.timestamp) - Date.parse(reading.received_at))).toBeLessThan(5_000);
      }

      // In the history (ordered by trusted time) the readings follow the order they were taken, a year
      // apart on the device's clock or not; `latest` is the last one taken, and nothing was lost.
      const seqs = after.map((reading) => reading.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const device = await summary(id);
      expect(device?.latest?.seq).toBe(Math.max(...(await history(id)).map((reading) => reading.seq)));
      expect(device?.clock_synced).toBe(true);
      expect(device?.delivery.lost).toBe(0);
    },
    60_000,
  );

  it("state loss: after the edge's DATA_DIR is deleted, its new readings (a new epoch, seq from 0) are stored and shown beside the old ones", async () => {
    const id = 'e2e-state-loss';
    const dataDir = join(stack.tmp, id);
    const first = spawnDrillEdge(stack.broker, id, dataDir, { PUBLISH_INTERVAL: '1' });
    edges.push(first);
    const before = await historyUntil(id, (readings) => readings.length >= 4);
    expect((await stopGracefully(first)).code).toBe(0);
    const oldEpoch = before[0]?.epoch;
    expect(oldEpoch).toMatch(/^[0-9a-f]{16}$/);

    await rm(dataDir, { recursive: true, force: true });
    const second = spawnDrillEdge(stack.broker, id, dataDir, { PUBLISH_INTERVAL: '1' });
    edges.push(second);
    const all = await historyUntil(
      id,
      (readings) => readings.filter((r) => r.epoch !== oldEpoch).length >= 3,
    );

    const fresh = all.filter((reading) => reading.epoch !== oldEpoch);
    expect(fresh.slice(0, 3).map((reading) => reading.seq)).toEqual([0, 1, 2]);
    const old = all.filter((reading) => reading.epoch === oldEpoch);
    expect(old.length).toBeGreaterThanOrEqual(before.length);
    const device = await summary(id);
    expect(device?.epoch).toBe(fresh[0]?.epoch);
    expect(device?.epoch_reason).toBe('first_start');
    expect(device?.latest?.epoch).toBe(fresh[0]?.epoch);
    expect(device?.delivery).toMatchObject({ lost: 0, conflicts: 0 });
    expect(device?.delivery.received).toBe(all.length);
  }, 60_000);

  it('presence: a device that goes silent without a goodbye (a power cut, a lost network) is shown offline once the keep-alive expires, about 45 s later', async () => {
    const id = 'e2e-silent';
    // The edge reaches the broker through a relay that can swallow everything the edge sends, as a dead
    // network does: no FIN, no RST, the TCP connection simply goes quiet.
    const gate = await TcpGate.start({ host: stack.broker.host, port: stack.broker.port });
    try {
      const edge = spawnDrillEdge(stack.broker, id, join(stack.tmp, id), {
        MQTT_BROKER: '127.0.0.1',
        MQTT_PORT: String(gate.port),
        PUBLISH_INTERVAL: '1',
      });
      edges.push(edge);
      await eventually(async () => (await summary(id))?.online === true, 20_000, `${id} online`);
      gate.holdUpstream(true);
      const silentAt = Date.now();
      // The broker waits 1.5 × the edge's keep-alive of 30 s without a packet, then publishes its last will.
      await eventually(async () => (await summary(id))?.online === false, 60_000, `${id} offline`);
      const after = (Date.now() - silentAt) / 1000;
      expect(after).toBeGreaterThan(30);
      expect(after).toBeLessThan(55); // 45 s, and the broker's periodic check of keep-alives on a busy machine
      expect(edge.child.exitCode).toBeNull(); // the edge itself never stopped
    } finally {
      await gate.close();
    }
  }, 90_000);
});

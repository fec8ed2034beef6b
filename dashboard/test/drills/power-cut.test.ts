import { describe, expect, it } from 'vitest';
import { eventually } from '../server/fixtures.js';
import {
  deviceClient,
  drillSkipReason,
  drillStack,
  perDevice,
  publishReadings,
  reading,
  storedCount,
} from './drill-kit.js';

const DEVICES = 10;
const PER_DEVICE = 5000;
const TOTAL = DEVICES * PER_DEVICE;
/** The dashboard is killed (SIGKILL) when this many readings are committed, and started again at once. */
const KILL_AT = [8_000, 25_000];

const skip = drillSkipReason('the power-cut drill') !== null;

describe.skipIf(skip)('drill: the dashboard killed (SIGKILL) during ingest', () => {
  const stack = drillStack();

  it(`stores each of ${TOTAL} readings from ${DEVICES} devices exactly once across ${KILL_AT.length} kills: a reading is acknowledged only once committed`, async () => {
    const { broker, dashboard } = stack;
    await dashboard.start();
    const devices = await Promise.all(
      Array.from({ length: DEVICES }, (_, i) => deviceClient(broker, `cut-${i}`)),
    );
    // Each device publishes its 5000 readings at QoS 1 and waits for the broker's PUBACKs, paced (20 every
    // 30 ms at most, so at least 7.5 s in all): the dashboard cannot commit what is not published yet, so each
    // kill lands while readings are still to come, however fast the dashboard commits on a loaded machine.
    const publishing = Promise.all(
      devices.map((client, i) =>
        publishReadings(
          client,
          Array.from({ length: PER_DEVICE }, (_, seq) => reading(`cut-${i}`, seq)),
          20,
          30,
        ),
      ),
    );
    const kills: number[] = [];
    for (const threshold of KILL_AT) {
      await eventually(
        () => storedCount(dashboard.databasePath) >= threshold,
        60_000,
        () => `${threshold} readings committed (now ${storedCount(dashboard.databasePath)})`,
      );
      await dashboard.kill();
      kills.push(storedCount(dashboard.databasePath));
      await dashboard.start();
    }
    await publishing;
    await Promise.all(devices.map((client) => client.endAsync()));
    // Every kill came mid-ingest: some readings were committed, others still to come.
    for (const at of kills) expect(at).toBeLessThan(TOTAL);

    await eventually(
      () => storedCount(dashboard.databasePath) === TOTAL,
      60_000,
      () => `all ${TOTAL} readings (now ${storedCount(dashboard.databasePath)})`,
    );
    expect(perDevice(dashboard.databasePath)).toEqual(
      Array.from({ length: DEVICES }, (_, i) => ({
        device_id: `cut-${i}`,
        rows: PER_DEVICE,
        seqs: PER_DEVICE,
        first: 0,
        last: PER_DEVICE - 1,
      })),
    );
    const summaries = await dashboard.devices();
    expect(summaries.map((d) => [d.device_id, d.delivery])).toEqual(
      Array.from({ length: DEVICES }, (_, i) => [
        `cut-${i}`,
        { received: PER_DEVICE, lost: 0, conflicts: 0 },
      ]),
    );
    expect(await dashboard.stop()).toBe(0);
  }, 120_000);
});

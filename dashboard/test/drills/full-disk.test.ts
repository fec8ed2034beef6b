import { execFile } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

const run = promisify(execFile);
const skip = drillSkipReason('the full-disk drill', { root: true }) !== null;

/** Fills the filesystem of `dir` to the last byte with one file; returns its path. */
async function fill(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const file = await open(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          await file.write(chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    await file.close().catch(() => undefined);
  }
  return path;
}

describe.skipIf(skip)("drill: the dashboard's DATA_DIR on a full filesystem (tmpfs, 16 MiB)", () => {
  let mountPoint = '';
  let mounted = false;
  const stack = drillStack({
    dataDir: async (tmp) => {
      mountPoint = join(tmp, 'small');
      await mkdir(mountPoint);
      await run('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint]);
      mounted = true;
      return join(mountPoint, 'dashboard');
    },
    // Unmounted even when the drill failed (the dashboard is killed first: its open files would hold it).
    beforeRemove: async () => {
      if (mounted) await run('umount', [mountPoint]).catch(() => run('umount', ['-l', mountPoint]));
    },
  });

  /** Waits for /healthz to report the database failing, and checks what it says. */
  async function untilFailing() {
    const { dashboard } = stack;
    const { status, body } = await eventually(
      async () => {
        const health = await dashboard.health();
        return health.body.database === 'error' ? health : undefined;
      },
      30_000,
      'the database to fail',
    );
    expect(status).toBe(503);
    expect(body.error).toMatch(
      /the database cannot be written since \S+ \((SQLITE_FULL|SQLITE_IOERR\w*): [^)]+\); \d+ received messages? waits? unacknowledged, and the others wait in the MQTT broker until it can\.$/,
    );
  }

  it('keeps running while full (HTTP answers, /healthz 503), acknowledges and drops nothing, and stores every reading once when space returns, even after a SIGKILL meanwhile', async () => {
    const { broker, dashboard } = stack;
    await dashboard.start();
    const client = await deviceClient(broker, 'full-1');
    const batch = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => reading('full-1', from + i));
    await publishReadings(client, batch(0, 1000));
    await eventually(() => storedCount(dashboard.databasePath) === 1000, 30_000, 'the first 1000 readings');

    // Full while it runs: the readings wait in the broker; space returns; they are stored.
    let filler = await fill(mountPoint);
    await publishReadings(client, batch(1000, 3000));
    await untilFailing();
    const whileFull = storedCount(dashboard.databasePath);
    expect(whileFull).toBeLessThan(4000);
    expect((await fetch(`${dashboard.base}/api/devices`)).status).toBe(200);
    expect(dashboard.lines.filter((line) => line.includes('The database cannot be written'))).toHaveLength(1);
    await rm(filler);
    await eventually(
      () => storedCount(dashboard.databasePath) === 4000,
      60_000,
      () => `4000 readings (now ${storedCount(dashboard.databasePath)})`,
    );
    await eventually(async () => (await dashboard.health()).status === 200, 30_000, 'healthy again');
    expect(dashboard.lines.some((line) => line.includes('The database can be written again'))).toBe(true);

    // Full again, and the process killed while full: what it had not committed was not acknowledged, so
    // the broker still has it for the restarted dashboard.
    filler = await fill(mountPoint);
    await publishReadings(client, batch(4000, 3000));
    await untilFailing();
    await dashboard.kill();
    await rm(filler);
    await dashboard.start();
    await eventually(
      () => storedCount(dashboard.databasePath) === 7000,
      60_000,
      () => `7000 readings (now ${storedCount(dashboard.databasePath)})`,
    );
    await client.endAsync();

    expect(perDevice(dashboard.databasePath)).toEqual([
      { device_id: 'full-1', rows: 7000, seqs: 7000, first: 0, last: 6999 },
    ]);
    const [summary] = await dashboard.devices();
    expect(summary?.delivery).toEqual({ received: 7000, lost: 0, conflicts: 0 });
    expect(await dashboard.stop()).toBe(0);
  }, 120_000);
});

import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, type OnlineStatus, topics } from '@fleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, type EdgeProcess } from '../integration/support/edge-process.js';
import { MqttWatcher } from '../integration/support/mqtt-watcher.js';
import {
  identityProblems,
  spawnDrillEdge,
  statusOf,
  stopGracefully,
  telemetryOf,
} from './support/edge-drill.js';

/**
 * A full disk, with the real edge (edge/dist/main.js), a real Mosquitto and the edge's DATA_DIR on a 16 MiB
 * tmpfs that a file fills up. The policy under test: the edge keeps measuring and says so once; with the
 * broker up every reading is still delivered live; while the broker is down too, readings wait in memory (at
 * most 10 000) and go out when it is back; when space returns they are written, and a clean stop continues the
 * epoch. A start on a full disk begins a new epoch (state_lost) and delivers live. Mounting needs root (CI runs
 * as root); elsewhere the drill is skipped and its title says why.
 */

const logger = createLogger('edge-test', 'silent');
const ID = 'drill-full-disk';
const isRoot = process.getuid?.() === 0;

/** Writes `path` until the file system refuses any more (ENOSPC). */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 20, 0x42);
  let written = 0;
  try {
    for (const size of [chunk.length, 4096, 1]) {
      try {
        for (;;) written += writeSync(fd, chunk, 0, size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

describe.skipIf(!isRoot)('full disk drill (needs root to mount a size-limited tmpfs)', () => {
  let mountDir: string;
  let mounted = false;
  let broker: BrokerHandle;
  let watcher: MqttWatcher | null = null;
  const processes: EdgeProcess[] = [];

  beforeAll(async () => {
    assertBuilt();
    mountDir = await mkdtemp(join(tmpdir(), 'edge-full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountDir]);
    mounted = true;
    broker = await startTestBroker({ logger });
  });

  afterAll(async () => {
    await Promise.all(processes.splice(0).map((edge) => edge.kill()));
    await watcher?.close();
    await broker?.stop();
    if (mounted) execFileSync('umount', [mountDir]);
    await rm(mountDir, { recursive: true, force: true });
  });

  it('on a full DATA_DIR the edge keeps running, says so once, delivers live, holds readings in memory while the broker is down too, writes them when space returns, and loses none', async () => {
    const dataDir = join(mountDir, 'data');
    const filler = join(mountDir, 'filler');
    await mkdir(dataDir);
    watcher = await MqttWatcher.connect(broker.url, `devices/${ID}/#`, `drill-watcher-${ID}`);
    const readings = () => (watcher as MqttWatcher).on(topics.data(ID)).map(telemetryOf);
    const readingsAtLeast = (count: number) =>
      (watcher as MqttWatcher).waitFor(topics.data(ID), () => readings().length >= count, 20_000);
    const start = () => {
      const edge = spawnDrillEdge(broker, ID, dataDir, { PUBLISH_INTERVAL: '1' });
      processes.push(edge);
      return edge;
    };
    const fullLines = (edge: EdgeProcess) =>
      edge.lines.filter((line) => line.includes('readings are held in memory'));

    const edge = start();
    await readingsAtLeast(3);
    expect(fill(filler)).toBeGreaterThan(10 << 20);

    // Full: said once (an error line with what is done); readings go on, delivered live.
    await edge.waitForLog(
      /^the disk is full .*: readings are held in memory \(at most 10000\), published live while the broker is up/,
      20_000,
    );
    const atFull = readings().length;
    await readingsAtLeast(atFull + 3);

    // Full and the broker down: readings wait in memory, and all go out once it is back.
    await broker.stop();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await broker.start();
    await readingsAtLeast(readings().length + 4);
    expect(fullLines(edge)).toHaveLength(1);
    expect(identityProblems(readings())).toEqual([]);

    // Space returns: written, said once at info; a clean stop is recorded and the next start continues the epoch.
    await rm(filler);
    await edge.waitForLog(
      /^The database accepts writes again; the \d+ reading\(s\) still held in memory are written to it\.$/,
      20_000,
    );
    const epoch = readings()[0]?.epoch;
    expect((await stopGracefully(edge)).code).toBe(0);
    expect(edge.lines.some((line) => line.includes('"clean_stop_recorded":true'))).toBe(true);
    const delivered = readings().length;
    const again = start();
    await readingsAtLeast(delivered + 2);
    expect(readings().at(-1)?.epoch).toBe(epoch);
    expect(identityProblems(readings())).toEqual([]);

    // A stop and a start on a full disk: the edge starts and delivers live. Whether its writes still fit
    // depends on space SQLite already holds (a WAL file is reused); when the clean stop could not be written,
    // the start begins a new epoch, and the readings of both are whole.
    expect(fill(filler)).toBeGreaterThan(0);
    expect((await stopGracefully(again)).code).toBe(0);
    const cleanStop = again.lines.some((line) => line.includes('"clean_stop_recorded":true'));
    const statuses = () => (watcher as MqttWatcher).on(topics.status(ID));
    const statusesBefore = statuses().length;
    const onFull = start();
    await (watcher as MqttWatcher).waitFor(
      topics.status(ID),
      () => statuses().length > statusesBefore,
      20_000,
    );
    const first = statuses()[statusesBefore];
    const status = (first && statusOf(first)) as OnlineStatus;
    await (watcher as MqttWatcher).waitFor(
      topics.data(ID),
      () => readings().filter((t) => t.epoch === status.epoch).length >= 3,
      20_000,
    );
    if (cleanStop) expect(status).toMatchObject({ epoch, epoch_reason: 'first_start' });
    else expect(['unclean_stop', 'state_lost']).toContain(status.epoch_reason);
    expect(identityProblems(readings())).toEqual([]);
    await rm(filler);
    expect((await stopGracefully(onFull)).code).toBe(0);
  }, 180_000);
});

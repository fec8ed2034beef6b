import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, type OnlineStatus, topics } from '@fleet/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type EdgeProcess } from '../integration/support/edge-process.js';
import { MqttWatcher, type SeenMessage } from '../integration/support/mqtt-watcher.js';
import {
  identityProblems,
  spawnDrillEdge,
  statusOf,
  stopGracefully,
  telemetryOf,
} from './support/edge-drill.js';

/**
 * State loss, with the real edge (edge/dist/main.js) and a real Mosquitto: DATA_DIR deleted (balena's "purge
 * data", a new volume) or its database damaged while the edge is stopped. The next start begins a new epoch
 * and says why in its status, and its readings count from seq 0 in it: the dashboard, which stores readings by
 * (device, epoch, seq), keeps them all. A deleted DATA_DIR leaves nothing to tell it from a first start, so the
 * reason is `first_start`; a database that is there but damaged gives `state_lost`.
 */

const logger = createLogger('edge-test', 'silent');
const ID = 'drill-state-loss';

describe('state loss drill', () => {
  let broker: BrokerHandle;
  let watcher: MqttWatcher;
  let dir: string;
  const processes: EdgeProcess[] = [];

  const statuses = () =>
    watcher
      .on(topics.status(ID))
      .map(statusOf)
      .filter((status): status is OnlineStatus => status !== null);
  const readingsOf = (epoch: string | undefined) =>
    watcher
      .on(topics.data(ID))
      .map(telemetryOf)
      .filter((reading) => reading.epoch === epoch);
  const newEpochStatus = (known: Set<string | undefined>) =>
    watcher.waitFor(topics.status(ID), (m: SeenMessage) => !known.has(statusOf(m)?.epoch), 15_000);

  /** Runs the edge until it has published `count` readings of its epoch, then stops it with SIGTERM. */
  async function run(dataDir: string, known: Set<string | undefined>, count = 3): Promise<OnlineStatus> {
    const edge = spawnDrillEdge(broker, ID, dataDir, { PUBLISH_INTERVAL: '1' });
    processes.push(edge);
    const status = statusOf(await newEpochStatus(known)) as OnlineStatus;
    known.add(status.epoch);
    await watcher.waitFor(topics.data(ID), () => readingsOf(status.epoch).length >= count, 15_000);
    expect((await stopGracefully(edge)).code).toBe(0);
    return status;
  }

  beforeAll(() => {
    assertBuilt();
  });

  beforeEach(async () => {
    broker = await startTestBroker({ logger });
    watcher = await MqttWatcher.connect(broker.url, `devices/${ID}/#`);
    dir = await mkdtemp(join(tmpdir(), 'edge-state-loss-'));
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((edge) => edge.kill()));
    await watcher.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('DATA_DIR deleted while the edge is stopped: the next start begins a new epoch (first_start), says so in its status, and counts from seq 0 in it', async () => {
    const dataDir = join(dir, 'data');
    const known = new Set<string | undefined>([undefined]);
    const first = await run(dataDir, known);
    expect(first).toMatchObject({ epoch_reason: 'first_start' });

    await rm(dataDir, { recursive: true, force: true });
    const second = await run(dataDir, known);
    expect(second.epoch).not.toBe(first.epoch);
    expect(second.epoch_reason).toBe('first_start');
    expect(
      readingsOf(second.epoch)
        .map((t) => t.seq)
        .slice(0, 3),
    ).toEqual([0, 1, 2]);
    expect(identityProblems(watcher.on(topics.data(ID)).map(telemetryOf))).toEqual([]);
  }, 60_000);

  it('a database damaged while the edge is stopped is moved aside: a new epoch (state_lost), said in the status, seq from 0; a clean restart then continues it', async () => {
    const dataDir = join(dir, 'data');
    const known = new Set<string | undefined>([undefined]);
    const first = await run(dataDir, known);

    await writeFile(join(dataDir, 'edge.db'), Buffer.alloc(64 * 1024, 0x5a));
    const second = await run(dataDir, known);
    expect(second.epoch).not.toBe(first.epoch);
    expect(second.epoch_reason).toBe('state_lost');
    expect(
      readingsOf(second.epoch)
        .map((t) => t.seq)
        .slice(0, 3),
    ).toEqual([0, 1, 2]);
    expect((await readdir(dataDir)).filter((name) => name.startsWith('edge.db.corrupt-'))).toHaveLength(1);

    // A clean stop and start: the same epoch goes on without a gap.
    const delivered = readingsOf(second.epoch).length;
    const edge = spawnDrillEdge(broker, ID, dataDir, { PUBLISH_INTERVAL: '1' });
    processes.push(edge);
    await watcher.waitFor(topics.data(ID), () => readingsOf(second.epoch).length >= delivered + 2, 15_000);
    expect(identityProblems(readingsOf(second.epoch))).toEqual([]);
    expect(statuses().every((status) => status.epoch !== undefined)).toBe(true);
  }, 60_000);
});

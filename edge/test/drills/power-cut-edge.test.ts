import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, topics } from '@fleet/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type EdgeProcess } from '../integration/support/edge-process.js';
import { MqttWatcher } from '../integration/support/mqtt-watcher.js';
import {
  ackOf,
  distinctReadings,
  identityProblems,
  spawnDrillEdge,
  statusOf,
  stopGracefully,
  telemetryOf,
} from './support/edge-drill.js';

/**
 * Power cuts of the real edge (edge/dist/main.js, a real Mosquitto, readings driven by read_now commands),
 * as SIGKILL at random moments, 15 times. See power-cut.test.ts for the store killed 200 times.
 */

const logger = createLogger('edge-test', 'silent');

describe('power cut drill: the edge', () => {
  let dir: string;
  let broker: BrokerHandle | null = null;
  let watcher: MqttWatcher | null = null;
  const processes: EdgeProcess[] = [];

  beforeAll(() => {
    assertBuilt();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-power-cut-'));
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((edge) => edge.kill()));
    await watcher?.close();
    watcher = null;
    await broker?.stop();
    broker = null;
    await rm(dir, { recursive: true, force: true });
  });

  it('the real edge killed 15 times while it applies read_now commands: each command gives exactly one reading, every reading arrives, seq is 0..max in each epoch', async () => {
    const id = 'drill-power-cut';
    const dataDir = join(dir, 'edge');
    broker = await startTestBroker({ logger });
    watcher = await MqttWatcher.connect(broker.url, `devices/${id}/#`);
    const start = () => {
      const edge = spawnDrillEdge(broker as BrokerHandle, id, dataDir, { MODE: 'manuel', LOG_LEVEL: 'warn' });
      processes.push(edge);
      return edge;
    };

    const onlines = () => watcher?.on(topics.availability(id)).filter((m) => m.text === 'online').length ?? 0;
    const started = (count: number) =>
      watcher?.waitFor(topics.availability(id), () => onlines() >= count, 15_000);
    // The first start creates the device's session, so commands sent while it is down wait for it.
    let edge = start();
    await started(1);
    let sent = 0;
    const sender = setInterval(() => {
      sent += 1;
      void watcher?.publish(topics.commands(id), { read_now: true, command_id: `rn-${sent}` });
    }, 40);
    try {
      for (let cycle = 0; cycle < 15; cycle++) {
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 700));
        await edge.kill();
        const before = onlines();
        edge = start();
        await started(before + 1);
      }
    } finally {
      clearInterval(sender);
    }
    const commands = sent;
    // The drill really drove the edge: many commands, some of them sent while it was down.
    expect(commands).toBeGreaterThan(100);

    // Every command is answered and every reading arrives.
    const acked = () => new Set(watcher?.on(topics.ack(id)).map((m) => ackOf(m).command_id));
    await watcher.waitFor(topics.ack(id), () => acked().size >= commands, 60_000);
    const readings = () => watcher?.on(topics.data(id)).map(telemetryOf) ?? [];
    await watcher.waitFor(topics.data(id), () => distinctReadings(readings()).size >= commands, 60_000);
    expect((await stopGracefully(edge)).code).toBe(0);

    const acks = watcher.on(topics.ack(id)).map(ackOf);
    const byCommand = new Map<string, string>();
    for (const ack of acks) {
      expect(ack.status).toBe('applied');
      const text = JSON.stringify(ack);
      const earlier = byCommand.get(ack.command_id ?? '');
      // A command delivered again gets the very same ack.
      if (earlier !== undefined) expect(text).toBe(earlier);
      byCommand.set(ack.command_id ?? '', text);
    }
    expect(byCommand.size).toBe(commands);
    expect(distinctReadings(readings()).size).toBe(commands);
    expect(identityProblems(readings())).toEqual([]);
    // Every start after a kill began a new epoch and said why.
    const reasons = watcher
      .on(topics.status(id))
      .map(statusOf)
      .map((status) => `${status?.epoch}:${status?.epoch_reason}`);
    const distinct = [...new Set(reasons)];
    expect(distinct).toHaveLength(16);
    expect(distinct.slice(1).every((reason) => reason.endsWith(':unclean_stop'))).toBe(true);
    const db = new Database(join(dataDir, 'edge.db'), { readonly: true });
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    db.close();
  }, 240_000);
});

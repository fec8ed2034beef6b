import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, topics } from '@fleet/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type EdgeProcess } from '../integration/support/edge-process.js';
import { MqttWatcher } from '../integration/support/mqtt-watcher.js';
import { ackOf, distinctReadings, spawnDrillEdge, statusOf, telemetryOf } from './support/edge-drill.js';
import { TcpGate } from './support/tcp-gate.js';

/**
 * Redelivery, with the real edge (edge/dist/main.js) and a real Mosquitto: a command delivered again, by its
 * sender or by the broker (QoS 1 redelivers a message whose PUBACK it did not get), takes effect once and gets
 * the same ack; an expired command is rejected. The device runs in `manuel`, so every reading is a read_now's.
 */

const logger = createLogger('edge-test', 'silent');
const ID = 'drill-redelivery';

describe('redelivery drill', () => {
  let broker: BrokerHandle;
  let watcher: MqttWatcher;
  let dataDir: string;
  let gate: TcpGate | null = null;
  const processes: EdgeProcess[] = [];

  const start = (port = broker.port) => {
    const edge = spawnDrillEdge({ ...broker, port }, ID, dataDir, { MODE: 'manuel' });
    processes.push(edge);
    return edge;
  };
  const acksFor = (commandId: string) =>
    watcher
      .on(topics.ack(ID))
      .map(ackOf)
      .filter((ack) => ack.command_id === commandId);
  const waitForAcks = (commandId: string, count: number) =>
    watcher.waitFor(topics.ack(ID), () => acksFor(commandId).length >= count, 15_000);
  const readings = () => distinctReadings(watcher.on(topics.data(ID)).map(telemetryOf));
  const onlines = () => watcher.on(topics.availability(ID)).filter((m) => m.text === 'online').length;
  /** Starts the edge and waits until it is subscribed to its commands (it says `online` after that). */
  const startOnline = async (port = broker.port) => {
    const before = onlines();
    const edge = start(port);
    await watcher.waitFor(topics.availability(ID), () => onlines() > before, 15_000);
    return edge;
  };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(() => {
    assertBuilt();
  });

  beforeEach(async () => {
    broker = await startTestBroker({ logger });
    watcher = await MqttWatcher.connect(broker.url, `devices/${ID}/#`);
    dataDir = await mkdtemp(join(tmpdir(), 'edge-redelivery-'));
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((edge) => edge.kill()));
    await gate?.close();
    gate = null;
    await watcher.close();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the same command published three times is applied once: one reading for a read_now, one update for an update_firmware, the same applied ack each time', async () => {
    await startOnline();
    const readNow = { read_now: true, command_id: 'rn-1' };
    for (let copy = 0; copy < 3; copy++) await watcher.publish(topics.commands(ID), readNow);
    await waitForAcks('rn-1', 3);
    await pause(1_500);
    expect(readings().size).toBe(1);
    const [first, ...copies] = acksFor('rn-1');
    expect(first).toMatchObject({ status: 'applied', error: null });
    expect(copies).toEqual([first, first]);

    // The copies come while the update runs and after it succeeded: neither "no new update while one
    // installs" nor "equal to the running version", only the first ack again.
    const update = { update_firmware: 'v1.1.0', command_id: 'up-1' };
    await watcher.publish(topics.commands(ID), update);
    await waitForAcks('up-1', 1);
    await watcher.publish(topics.commands(ID), update);
    const succeeded = await watcher.waitFor(
      topics.status(ID),
      (m) => statusOf(m)?.ota.state === 'succeeded',
      20_000,
    );
    await watcher.publish(topics.commands(ID), update);
    await waitForAcks('up-1', 3);
    const updateAcks = acksFor('up-1');
    expect(updateAcks[0]).toMatchObject({ status: 'applied', firmware: 'v1.0.0' });
    expect(updateAcks.slice(1)).toEqual([updateAcks[0], updateAcks[0]]);
    expect(statusOf(succeeded)).toMatchObject({
      firmware: 'v1.1.0',
      ota: { target_version: 'v1.1.0', command_id: 'up-1' },
    });
    await pause(1_000);
    const downloads = watcher
      .on(topics.status(ID))
      .map(statusOf)
      .filter((status) => status?.ota.state === 'downloading' && status.ota.progress === 0);
    expect(downloads).toHaveLength(1);
    const lastStatus = watcher.on(topics.status(ID)).at(-1);
    expect(lastStatus && statusOf(lastStatus)?.ota.state).toBe('succeeded');
  }, 60_000);

  it('a command the broker delivers again, the edge having died after applying it and before its PUBACK, is applied once and gets the same ack', async () => {
    gate = await TcpGate.start(broker);
    const first = await startOnline(gate.port);
    // From now on nothing the edge sends reaches the broker: not its PUBACK, not its ack, not its reading.
    gate.holdUpstream(true);
    await watcher.publish(topics.commands(ID), { read_now: true, command_id: 'rn-lost' });
    await first.waitForLog(/^command applied$/, 15_000);
    await first.kill();
    expect(acksFor('rn-lost')).toHaveLength(0);
    expect(readings().size).toBe(0);

    // The next start connects straight to the broker, which delivers the command again (it has no PUBACK).
    const second = start();
    await waitForAcks('rn-lost', 1);
    await second.waitForLog(/command seen before; its ack is sent again, nothing changes/, 15_000);
    await watcher.waitFor(topics.data(ID), () => readings().size >= 1, 15_000);
    await pause(1_500);
    expect(readings().size).toBe(1);
    expect(acksFor('rn-lost')).toHaveLength(1);
    expect(acksFor('rn-lost')[0]).toMatchObject({ status: 'applied' });
    const [reading] = readings().values();
    // The reading was committed by the first run, in its epoch; the second run began another (unclean stop).
    const status = statusOf(
      await watcher.waitFor(topics.status(ID), (m) => statusOf(m)?.epoch_reason === 'unclean_stop'),
    );
    expect(reading?.epoch).not.toBe(status?.epoch);
    expect(reading?.seq).toBe(0);
  }, 60_000);

  it('an expired command (issued 2 h ago with no ttl_s; ttl_s 5 issued 10 s ago) is rejected with the expiry sentence and changes nothing', async () => {
    await startOnline();
    const now = Date.now();
    await watcher.publish(topics.commands(ID), {
      intervalle: 9,
      read_now: true,
      command_id: 'old-1',
      issued_at: new Date(now - 2 * 3600_000).toISOString(),
    });
    await watcher.publish(topics.commands(ID), {
      mode: 'auto',
      command_id: 'old-2',
      issued_at: new Date(now - 10_000).toISOString(),
      ttl_s: 5,
    });
    await waitForAcks('old-2', 1);
    const [old1] = acksFor('old-1');
    const [old2] = acksFor('old-2');
    expect(old1).toMatchObject({ status: 'rejected', settings: { mode: 'manuel', intervalle: 5 } });
    expect(old1?.error).toMatch(
      /^The command was issued at .*, 720\d s ago; it expired after 3600 s \(the default time to live\), so nothing was changed\.$/,
    );
    expect(old2).toMatchObject({ status: 'rejected', settings: { mode: 'manuel' } });
    expect(old2?.error).toMatch(/, 1\d s ago; it expired after 5 s \(its ttl_s\), so nothing was changed\.$/);
    await pause(1_500);
    expect(readings().size).toBe(0);
    const statuses = watcher.on(topics.status(ID)).map(statusOf);
    expect(statuses.every((status) => status?.mode === 'manuel' && status.intervalle === 5)).toBe(true);
    // A fresh command is applied: the clock was trusted, the expiry was about age alone.
    await watcher.publish(topics.commands(ID), {
      read_now: true,
      command_id: 'fresh',
      issued_at: new Date().toISOString(),
    });
    await waitForAcks('fresh', 1);
    expect(acksFor('fresh')[0]?.status).toBe('applied');
  }, 60_000);
});

import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, parseStatus, parseTelemetry, topics } from '@fleet/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADJTIMEX_COMMAND, parseAdjtimexPrint } from '../../src/clock/kernel-time.js';
import { assertBuilt, type EdgeProcess, spawnEdge } from './support/edge-process.js';
import { MqttWatcher } from './support/mqtt-watcher.js';

/**
 * How the compiled service judges its clock with each CLOCK_SYNC_SOURCE, against the real kernel. The
 * kernel's answer depends on the machine (this build machine: unsynchronised, status 64), so the expected
 * value comes from `adjtimex --print` itself.
 */

const logger = createLogger('edge-test', 'silent');

function kernelSaysSynced(): boolean {
  const state = parseAdjtimexPrint(execFileSync(ADJTIMEX_COMMAND, ['--print'], { encoding: 'utf8' }));
  if (!state) throw new Error(`${ADJTIMEX_COMMAND} --print gave no status`);
  return state.synced;
}

describe('edge service clock_synced, real kernel and broker', () => {
  let broker: BrokerHandle;
  let watcher: MqttWatcher;
  let dataDir: string;
  const processes: EdgeProcess[] = [];

  const start = (id: string, source: string) => {
    const edge = spawnEdge({
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      DEVICE_ID: id,
      SENSOR: 'synthetic',
      DATA_DIR: join(dataDir, id),
      PUBLISH_INTERVAL: '1',
      CLOCK_SYNC_SOURCE: source,
    });
    processes.push(edge);
    return edge;
  };

  /** The first reading's and the status's clock_synced. */
  const clockSyncedOf = async (id: string) => {
    const reading = parseTelemetry((await watcher.waitFor(topics.data(id))).text);
    const status = parseStatus((await watcher.waitFor(topics.status(id))).text);
    if (!reading.ok || !status.ok || !status.value.online) throw new Error('unexpected messages');
    return { reading: reading.value.clock_synced, status: status.value.clock_synced };
  };

  beforeAll(() => {
    assertBuilt();
  });

  beforeEach(async () => {
    broker = await startTestBroker({ logger });
    watcher = await MqttWatcher.connect(broker.url);
    dataDir = await mkdtemp(join(tmpdir(), 'edge-clock-'));
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((edge) => edge.kill()));
    await watcher.close();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("CLOCK_SYNC_SOURCE=kernel follows the kernel's NTP state, and says so at start", async () => {
    const edge = start('clock-kernel', 'kernel');
    const expected = kernelSaysSynced();
    const line = JSON.parse(await edge.waitForLog(/^clock: /)) as { msg: string; judged_by: string };
    expect(line.judged_by).toBe('kernel');
    expect(line.msg).toBe(
      `clock: ${expected ? 'synchronised' : 'not synchronised'}, judged by the kernel's NTP state (adjtimex) (CLOCK_SYNC_SOURCE=kernel)`,
    );
    expect(await clockSyncedOf('clock-kernel')).toEqual({ reading: expected, status: expected });
  });

  it('CLOCK_SYNC_SOURCE=auto uses the kernel where adjtimex is installed', async () => {
    const edge = start('clock-auto', 'auto');
    const expected = kernelSaysSynced();
    const line = JSON.parse(await edge.waitForLog(/^clock: /)) as { judged_by: string };
    expect(line.judged_by).toBe('kernel');
    expect(await clockSyncedOf('clock-auto')).toEqual({ reading: expected, status: expected });
  });

  it("CLOCK_SYNC_SOURCE=floor trusts a clock past the firmware's release date, and keeps the last synchronised time", async () => {
    const edge = start('clock-floor', 'floor');
    const line = JSON.parse(await edge.waitForLog(/^clock: /)) as { judged_by: string };
    expect(line.judged_by).toBe('floor');
    expect(await clockSyncedOf('clock-floor')).toEqual({ reading: true, status: true });
    edge.child.kill('SIGTERM');
    expect((await edge.exited).code).toBe(0);
    const kept = Date.parse(
      (await readFile(join(dataDir, 'clock-floor', 'last-synced-time'), 'utf8')).trim(),
    );
    expect(Math.abs(kept - Date.now())).toBeLessThan(60_000);
  });
});

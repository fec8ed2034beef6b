import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { createLogger, parseAck, parseStatus, parseTelemetry, Topics } from '@fleet/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type EdgeProcess, spawnEdge } from './support/edge-process.js';
import { MqttWatcher } from './support/mqtt-watcher.js';

/** The compiled service with MQTT_TOPIC_ROOT=home/sensors, as on a broker shared with Home Assistant. */

const logger = createLogger('edge-test', 'silent');

describe('edge service with MQTT_TOPIC_ROOT, real broker', () => {
  let broker: BrokerHandle;
  let dataDir: string;
  const watchers: MqttWatcher[] = [];
  const processes: EdgeProcess[] = [];

  beforeAll(() => {
    assertBuilt();
  });

  beforeEach(async () => {
    broker = await startTestBroker({ logger });
    dataDir = await mkdtemp(join(tmpdir(), 'edge-root-'));
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((edge) => edge.kill()));
    await Promise.all(watchers.splice(0).map((watcher) => watcher.close()));
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('publishes, subscribes and leaves its will under home/sensors, and nothing under devices/', async () => {
    const id = 'root-1';
    const root = new Topics('home/sensors');
    const everything = await MqttWatcher.connect(broker.url, '#');
    watchers.push(everything);
    const edge = spawnEdge({
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      MQTT_TOPIC_ROOT: 'home/sensors',
      DEVICE_ID: id,
      SENSOR: 'synthetic',
      DATA_DIR: dataDir,
      PUBLISH_INTERVAL: '1',
      CLOCK_SYNC_SOURCE: 'floor',
    });
    processes.push(edge);

    // The start-up line says which root is in use.
    const startup = JSON.parse(await edge.waitForLog(/^edge root-1:/)) as { msg: string; topic_root: string };
    expect(startup.topic_root).toBe('home/sensors');
    expect(startup.msg).toContain('topics home/sensors/root-1/…');

    const reading = await everything.waitFor(root.data(id));
    expect(parseTelemetry(reading.text)).toMatchObject({ ok: true, value: { device_id: id, seq: 0 } });
    const status = await everything.waitFor(root.status(id));
    expect(parseStatus(status.text)).toMatchObject({ ok: true, value: { online: true } });
    await everything.waitFor(root.availability(id), (message) => message.text === 'online');

    // Commands are read under the root, and only there.
    await everything.publish(new Topics().commands(id), { read_now: true, command_id: 'wrong-root' });
    await everything.publish(root.commands(id), { mode: 'manuel', command_id: 'r1' });
    const ack = await everything.waitFor(root.ack(id));
    expect(parseAck(ack.text)).toMatchObject({ ok: true, value: { command_id: 'r1', status: 'applied' } });

    // The last will too.
    await edge.kill();
    await everything.waitFor(root.availability(id), (message) => message.text === 'offline');

    const elsewhere = everything.messages.filter((message) => !message.topic.startsWith('home/sensors/'));
    expect(elsewhere.map((message) => message.topic)).toEqual(['devices/root-1/commands']);
    expect(everything.on(root.ack(id))).toHaveLength(1);
  }, 30_000);
});

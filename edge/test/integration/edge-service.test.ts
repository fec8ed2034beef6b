import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import {
  type Ack,
  createLogger,
  type OnlineStatus,
  parseAck,
  parseStatus,
  parseTelemetry,
  SCHEMA_VERSION,
  type Telemetry,
  topics,
} from '@fleet/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type EdgeProcess, spawnEdge } from './support/edge-process.js';
import { MqttWatcher, type SeenMessage } from './support/mqtt-watcher.js';

/**
 * The compiled service (`node edge/dist/main.js`, what the container starts) against the real broker.
 * Build first: `npx tsc -b edge` (the root `npm test` builds everything before vitest).
 */

const logger = createLogger('edge-test', 'silent');

function telemetryOf(message: SeenMessage): Telemetry {
  const parsed = parseTelemetry(message.text);
  if (!parsed.ok) throw new Error(`${parsed.error} in ${message.text}`);
  return parsed.value;
}

function onlineStatusOf(message: SeenMessage): OnlineStatus | null {
  const parsed = parseStatus(message.text);
  if (!parsed.ok) throw new Error(`${parsed.error} in ${message.text}`);
  return parsed.value.online ? parsed.value : null;
}

function ackOf(message: SeenMessage): Ack {
  const parsed = parseAck(message.text);
  if (!parsed.ok) throw new Error(`${parsed.error} in ${message.text}`);
  return parsed.value;
}

const isOnline = (message: SeenMessage) => (message.json as { online?: unknown }).online === true;
const said = (text: string) => (message: SeenMessage) => message.text === text;

describe('edge service, compiled entry point, real broker', () => {
  let broker: BrokerHandle;
  let watcher: MqttWatcher;
  let dataDir: string;
  const processes: EdgeProcess[] = [];

  const start = (deviceId: string, extra: Record<string, string> = {}) => {
    const edge = spawnEdge({
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      DEVICE_ID: deviceId,
      SENSOR: 'synthetic',
      DATA_DIR: dataDir,
      PUBLISH_INTERVAL: '1',
      LOG_LEVEL: 'info',
      // The build machine's kernel says unsynchronised; the floor judges a clock that is right as synchronised.
      CLOCK_SYNC_SOURCE: 'floor',
      ...extra,
    });
    processes.push(edge);
    return edge;
  };

  /** `offline` on the availability topic, live and retained, and the retained status still the last known. */
  const expectOfflineWithStatusKept = async (id: string, last: Partial<OnlineStatus>) => {
    await watcher.waitFor(topics.availability(id), said('offline'));
    expect((await MqttWatcher.retained(broker.url, topics.availability(id))).text).toBe('offline');
    const status = onlineStatusOf(await MqttWatcher.retained(broker.url, topics.status(id)));
    expect(status).toMatchObject({ online: true, ...last });
  };

  beforeAll(() => {
    assertBuilt();
  });

  beforeEach(async () => {
    broker = await startTestBroker({ logger });
    dataDir = await mkdtemp(join(tmpdir(), 'edge-it-'));
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((edge) => edge.kill()));
    await watcher?.close();
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await Promise.all(processes.map((edge) => edge.kill()));
  });

  it('telemetry, retained status, commands, OTA that survives a restart, clean stop and last will', async () => {
    const id = 'it-edge-1';
    watcher = await MqttWatcher.connect(broker.url);
    const edge = start(id);

    // Telemetry in the contract's format, version 2, seq counting up from 0, the clock synchronised.
    const first = (await watcher.waitForCount(topics.data(id), 2)).map(telemetryOf);
    expect(first.map((t) => t.seq)).toEqual([0, 1]);
    expect(first[0]).toMatchObject({
      v: SCHEMA_VERSION,
      device_id: id,
      source: 'synthetic',
      firmware: 'v1.0.0',
      mode: 'auto',
      clock_synced: true,
    });
    // The time of the reading, not a stale one: within a minute of now.
    expect(Math.abs(Date.parse(first[1]?.timestamp ?? '') - Date.now())).toBeLessThan(60_000);

    // The status and `online` are retained: a client that subscribes later gets them at once.
    const retained = await MqttWatcher.retained(broker.url, topics.status(id));
    expect(retained.retain).toBe(true);
    expect(onlineStatusOf(retained)).toMatchObject({
      v: SCHEMA_VERSION,
      online: true,
      firmware: 'v1.0.0',
      intervalle: 1,
      clock_synced: true,
      sensor: { source: 'synthetic', healthy: true },
      ota: { state: 'idle' },
    });
    const availability = await MqttWatcher.retained(broker.url, topics.availability(id));
    expect([availability.text, availability.retain]).toEqual(['online', true]);

    // A valid command is applied and acked; the status follows.
    await watcher.publish(topics.commands(id), { mode: 'economie', intervalle: 2, command_id: 'c1' });
    const applied = ackOf(await watcher.waitFor(topics.ack(id), (m) => ackOf(m).command_id === 'c1'));
    expect(applied).toMatchObject({
      v: SCHEMA_VERSION,
      status: 'applied',
      error: null,
      settings: { mode: 'economie', intervalle: 2 },
    });
    await watcher.waitFor(topics.status(id), (m) => onlineStatusOf(m)?.mode === 'economie');

    // A bad one is rejected with its reason, and nothing changes.
    await watcher.publish(topics.commands(id), { mode: 'manuel', intervalle: 0, command_id: 'c2' });
    const rejected = ackOf(await watcher.waitFor(topics.ack(id), (m) => ackOf(m).command_id === 'c2'));
    expect(rejected.status).toBe('rejected');
    expect(rejected.error).toMatch(
      /"intervalle" received 0; accepted: a whole number of seconds from 1 to 60/,
    );
    expect(rejected.settings).toMatchObject({ mode: 'economie', intervalle: 2 });

    // OTA: every state in order, then the new firmware everywhere.
    await watcher.publish(topics.commands(id), { update_firmware: 'v1.1.0', command_id: 'c3' });
    await watcher.waitFor(topics.status(id), (m) => onlineStatusOf(m)?.ota.state === 'succeeded', 15_000);
    const otaStates = watcher
      .on(topics.status(id))
      .map((m) => onlineStatusOf(m)?.ota.state)
      .filter((state, index, all) => state !== all[index - 1]);
    expect(otaStates).toEqual(['idle', 'downloading', 'verifying', 'installing', 'rebooting', 'succeeded']);
    const lastSeq = telemetryOf(
      await watcher.waitFor(topics.data(id), (m) => telemetryOf(m).firmware === 'v1.1.0', 10_000),
    ).seq;

    // SIGTERM: `offline` on the availability topic (retained) and exit 0, fast; the retained status keeps
    // the last known state (the new firmware, the settings).
    watcher.clear();
    const stopAsked = Date.now();
    edge.child.kill('SIGTERM');
    const { code } = await edge.exited;
    expect(code).toBe(0);
    expect(Date.now() - stopAsked).toBeLessThan(5_000);
    await expectOfflineWithStatusKept(id, { firmware: 'v1.1.0', mode: 'economie', intervalle: 2 });

    // Restart on the same data: firmware, settings and seq carry on.
    watcher.clear();
    const again = start(id);
    const back = onlineStatusOf(await watcher.waitFor(topics.status(id), isOnline));
    expect(back).toMatchObject({ firmware: 'v1.1.0', mode: 'economie', intervalle: 2 });
    await watcher.waitFor(topics.availability(id), said('online'));
    const resumed = telemetryOf(await watcher.waitFor(topics.data(id)));
    expect(resumed.firmware).toBe('v1.1.0');
    expect(resumed.seq).toBeGreaterThan(lastSeq);

    // SIGKILL: the broker publishes the last will, `offline`, retained; the status stays as it was.
    watcher.clear();
    await again.kill();
    await expectOfflineWithStatusKept(id, { firmware: 'v1.1.0', mode: 'economie', intervalle: 2 });
    expect(watcher.on(topics.status(id))).toEqual([]);
  }, 45_000);

  it('delivers every reading, in order, across a broker outage', async () => {
    const id = 'it-edge-outage';
    // A persistent session, so the watcher gets what is published while it reconnects.
    watcher = await MqttWatcher.connect(broker.url, topics.data(id), `watcher-${id}`);
    start(id);
    const before = await watcher.waitForCount(topics.data(id), 2);
    await broker.stop();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await broker.start();
    const lastBefore = telemetryOf(before.at(-1) as SeenMessage).seq;
    // Five or more readings were taken during the outage; wait until later ones arrive.
    await watcher.waitFor(topics.data(id), (m) => telemetryOf(m).seq >= lastBefore + 8, 20_000);

    const seqs = watcher.on(topics.data(id)).map((m) => telemetryOf(m).seq);
    const firstSeen = seqs.filter((seq, index) => seqs.indexOf(seq) === index);
    const last = firstSeen.at(-1) ?? -1;
    expect(firstSeen).toEqual(Array.from({ length: last + 1 }, (_, seq) => seq));
  }, 40_000);

  it('SENSOR=auto without a chip runs on the synthetic model and says it looks for the chip every minute', async () => {
    const id = 'it-edge-search';
    watcher = await MqttWatcher.connect(broker.url);
    const edge = start(id, { SENSOR: 'auto', I2C_BUS: '29' });
    const warning = JSON.parse(await edge.waitForLog(/^sensor: none usable with SENSOR=auto/)) as {
      msg: string;
      search_every_s: number;
    };
    expect(warning.msg).toContain('(and looking again every minute)');
    expect(warning.msg).toContain('i2c-29');
    expect(warning.search_every_s).toBe(60);
    const startup = JSON.parse(await edge.waitForLog(new RegExp(`^edge ${id}: synthetic sensor`))) as {
      sensor: { source: string; search_every_s: number | null };
    };
    expect(startup.sensor).toMatchObject({ source: 'synthetic', search_every_s: 60 });
    const status = onlineStatusOf(await watcher.waitFor(topics.status(id), isOnline));
    expect(status?.sensor).toMatchObject({ source: 'synthetic', healthy: true });
  });
});

describe('edge service start-up failures', () => {
  const processes: EdgeProcess[] = [];
  let dataDir: string;

  const start = (deviceId: string, extra: Record<string, string>) => {
    // No broker is needed: the service must stop before it connects.
    const edge = spawnEdge({
      MQTT_BROKER: '127.0.0.1',
      MQTT_PORT: '9',
      DEVICE_ID: deviceId,
      SENSOR: 'synthetic',
      DATA_DIR: dataDir,
      ...extra,
    });
    processes.push(edge);
    return edge;
  };

  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(join(tmpdir(), 'edge-it-'));
  });

  afterAll(async () => {
    await Promise.all(processes.map((edge) => edge.kill()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a bad variable stops the start with exit code 1 and one line naming it', async () => {
    const edge = start('it-edge-bad', { PUBLISH_INTERVAL: '0' });
    const { code } = await edge.exited;
    expect(code).toBe(1);
    expect(edge.lines).toHaveLength(1);
    const line = JSON.parse(edge.lines[0] ?? '') as { level: number; msg: string };
    expect(line.level).toBe(60);
    expect(line.msg).toBe(
      'Environment variable PUBLISH_INTERVAL received "0"; accepted: a whole number of seconds from 1 to 60.',
    );
  });

  it('SENSOR=bme280 without the chip stops the start with exit code 1 and one line saying why', async () => {
    const edge = start('it-edge-nochip', { SENSOR: 'bme280', I2C_BUS: '29' });
    const { code } = await edge.exited;
    expect(code).toBe(1);
    expect(edge.lines).toHaveLength(1);
    const line = JSON.parse(edge.lines[0] ?? '') as { level: number; msg: string };
    expect(line.level).toBe(60);
    expect(line.msg).toMatch(/i2c-29/);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import {
  createLogger,
  type OnlineStatus,
  parseStatus,
  parseTelemetry,
  type Telemetry,
  topics,
} from '@fleet/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, type EdgeProcess, spawnEdge } from '../integration/support/edge-process.js';
import { MqttWatcher, type SeenMessage } from '../integration/support/mqtt-watcher.js';
import { faketimeEnv, findLibfaketime, setFakeClock } from './support/clock-faketime.js';

/**
 * The clock drill, with real processes: the compiled edge (edge/dist/main.js) starts with its wall clock a
 * year behind (Debian's libfaketime, the monotonic clock left real), a real Mosquitto and a subscriber. Then
 * the clock is set while the broker is down, as NTP does on a Pi that has just found its network.
 */

const logger = createLogger('edge-test', 'silent');
const LIBFAKETIME = findLibfaketime();
const DAY_MS = 24 * 3600 * 1000;

function telemetryOf(message: SeenMessage): Telemetry {
  const parsed = parseTelemetry(message.text);
  if (!parsed.ok) throw new Error(`${parsed.error} in ${message.text}`);
  return parsed.value;
}

function statusOf(message: SeenMessage): OnlineStatus | null {
  const parsed = parseStatus(message.text);
  if (!parsed.ok) throw new Error(`${parsed.error} in ${message.text}`);
  return parsed.value.online ? parsed.value : null;
}

/** When the service started, as a reading says: its timestamp less its uptime (whole seconds, floored). */
const originOf = (telemetry: Telemetry) => Date.parse(telemetry.timestamp) - telemetry.uptime * 1000;

describe.skipIf(LIBFAKETIME === null)('clock drill (needs libfaketime: apt-get install faketime)', () => {
  let broker: BrokerHandle;
  let dir: string;
  let watcher: MqttWatcher | null = null;
  const processes: EdgeProcess[] = [];

  beforeAll(() => {
    assertBuilt();
  });

  beforeEach(async () => {
    broker = await startTestBroker({ logger });
    dir = await mkdtemp(join(tmpdir(), 'edge-clock-drill-'));
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((edge) => edge.kill()));
    await watcher?.close();
    watcher = null;
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The compiled edge, its wall clock a year behind (set it with `setFakeClock(timeFile, '+0')`). */
  const startBehind = async (id: string) => {
    const timeFile = join(dir, 'faketime');
    await setFakeClock(timeFile, '-365d');
    const edge = spawnEdge({
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      DEVICE_ID: id,
      SENSOR: 'synthetic',
      DATA_DIR: join(dir, 'data'),
      PUBLISH_INTERVAL: '1',
      CLOCK_SYNC_SOURCE: 'floor',
      ...faketimeEnv(LIBFAKETIME as string, timeFile),
    });
    processes.push(edge);
    return { edge, timeFile };
  };

  it('a device started a year behind says clock_synced false; once its clock is set, readings carry the right time, readings queued meanwhile are re-stamped, and uptime and battery do not jump', async () => {
    const id = 'drill-clock';
    // A persistent session: the watcher gets what is published while it reconnects after the outage.
    watcher = await MqttWatcher.connect(broker.url, `devices/${id}/#`, `drill-watcher-${id}`);
    const spawnedAt = Date.now();
    const { edge, timeFile } = await startBehind(id);

    // 1. A year behind: the edge knows its clock is not set, and says so in its readings and status.
    await edge.waitForLog(/^clock: not synchronised, judged by the floor/);
    const early = (await watcher.waitForCount(topics.data(id), 2, undefined, 20_000)).map(telemetryOf);
    for (const reading of early) {
      expect(reading.clock_synced).toBe(false);
      expect((Date.now() - Date.parse(reading.timestamp)) / DAY_MS).toBeGreaterThan(364);
      expect((Date.now() - Date.parse(reading.timestamp)) / DAY_MS).toBeLessThan(366);
    }
    const firstStatus = statusOf(await watcher.waitFor(topics.status(id)));
    expect(firstStatus?.clock_synced).toBe(false);

    // 2. The broker goes away; readings are taken and queued meanwhile, with the clock still a year behind.
    await broker.stop();
    const downAt = Date.now();
    await edge.waitForLog(/lost the connection to the MQTT broker/);
    await new Promise((resolve) => setTimeout(resolve, 3_500)); // three or so readings at a 1 s interval

    // 3. NTP sets the clock, the broker still down: the edge notices at its next reading and logs it.
    await setFakeClock(timeFile, '+0');
    const setAt = Date.now();
    await edge.waitForLog(/^the clock is synchronised now/);

    // 4. The broker is back: the queued readings go out, then live ones.
    await broker.start();
    await watcher.waitFor(
      topics.data(id),
      (message) => Date.parse(telemetryOf(message).timestamp) > setAt + 1_500,
      30_000,
    );
    const status = statusOf(
      await watcher.waitFor(topics.status(id), (message) => statusOf(message)?.clock_synced === true, 10_000),
    );
    expect(status?.clock_synced).toBe(true);

    // Every reading arrives (first copies, in seq order from 0).
    const bySeq = new Map<number, Telemetry>();
    for (const message of watcher.on(topics.data(id))) {
      const reading = telemetryOf(message);
      if (!bySeq.has(reading.seq)) bySeq.set(reading.seq, reading);
    }
    const seqs = [...bySeq.keys()];
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, seq) => seq));

    const all = [...bySeq.values()];
    // Durations follow the monotonic clock: setting the wall clock a year forward moved neither the uptime
    // (it only grows, by about a second a reading) nor the battery model (0.01 % a second).
    const uptimes = all.map((reading) => reading.uptime);
    expect(uptimes).toEqual([...uptimes].sort((a, b) => a - b));
    expect((uptimes.at(-1) ?? 0) - (uptimes[0] ?? 0)).toBeLessThan(all.length + 5);
    const levels = all.map((reading) => reading.batterie);
    expect(Math.max(...levels) - Math.min(...levels)).toBeLessThanOrEqual(0.5);
    const synced = all.filter((reading) => reading.clock_synced === true);
    const unsynced = all.filter((reading) => reading.clock_synced === false);
    expect(synced.length + unsynced.length).toBe(all.length);

    // With the clock set, a reading's timestamp less its uptime (monotonic) is one instant: the real start
    // of the service. That holds for the readings taken after the clock was set and for those re-stamped.
    const origins = synced.map(originOf);
    expect(Math.max(...origins) - Math.min(...origins)).toBeLessThan(1_050);
    const start = Math.min(...origins);
    expect(start).toBeGreaterThan(spawnedAt - 1_000);
    expect(start).toBeLessThan(spawnedAt + 10_000);

    // The readings taken during the outage, before the clock was set, were re-stamped.
    const restamped = synced.filter((reading) => Date.parse(reading.timestamp) < setAt);
    expect(restamped.length).toBeGreaterThanOrEqual(2);
    for (const reading of restamped) expect(Date.parse(reading.timestamp)).toBeGreaterThan(downAt - 2_500);

    // What still says clock_synced false was delivered before the outage (the dashboard files those by the
    // time it received them): a year behind, and taken before the broker went down.
    expect(unsynced.length).toBeGreaterThanOrEqual(2);
    for (const reading of unsynced) {
      expect((start - originOf(reading)) / DAY_MS).toBeCloseTo(365, 1);
      expect(start + reading.uptime * 1000).toBeLessThan(downAt + 1_000);
    }
  }, 60_000);

  it('with the broker up, the status says clock_synced true as soon as the clock is set, and so do the next readings', async () => {
    const id = 'drill-clock-live';
    watcher = await MqttWatcher.connect(broker.url, `devices/${id}/#`);
    const { edge, timeFile } = await startBehind(id);
    expect(statusOf(await watcher.waitFor(topics.status(id), undefined, 20_000))?.clock_synced).toBe(false);
    await watcher.waitFor(topics.data(id), undefined, 20_000);

    await setFakeClock(timeFile, '+0');
    const setAt = Date.now();
    // Noticed by the next reading or by the check every 10 s, whichever comes first; no reconnect needed.
    const status = statusOf(
      await watcher.waitFor(topics.status(id), (message) => statusOf(message)?.clock_synced === true, 15_000),
    );
    expect(Math.abs(Date.parse(status?.timestamp ?? '') - Date.now())).toBeLessThan(15_000);
    const next = telemetryOf(
      await watcher.waitFor(topics.data(id), (message) => telemetryOf(message).clock_synced === true),
    );
    expect(Math.abs(Date.parse(next.timestamp) - setAt)).toBeLessThan(5_000);
    expect(edge.lines.filter((line) => line.includes('lost the connection'))).toEqual([]);
  }, 45_000);
});

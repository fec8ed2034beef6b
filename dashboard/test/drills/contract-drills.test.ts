import type { DeviceSummary, HistoryResponse, StoredReading } from '@fleet/dashboard';
import mqtt from 'mqtt';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, onlineStatus } from '../server/fixtures.js';
import {
  type DashboardProcess,
  deviceClient,
  drillSkipReason,
  drillStack,
  publishReadings,
  reading,
} from './drill-kit.js';

const skip = drillSkipReason('the contract drills') !== null;

const DAY = 24 * 60 * 60 * 1000;

// One real dashboard process (debug logs) and one real Mosquitto; each drill uses its own devices.
describe.skipIf(skip)('drills: devices of other contract versions, lost state and wrong clocks', () => {
  const stack = drillStack({ extraEnv: { LOG_LEVEL: 'debug' } });
  let dashboard: DashboardProcess;
  beforeAll(async () => {
    dashboard = stack.dashboard;
    await dashboard.start();
  });

  const summary = async (id: string) => (await dashboard.devices()).find((d) => d.device_id === id);
  const history = async (id: string) =>
    (await dashboard.get<HistoryResponse>(`/api/devices/${id}/history?limit=10000`)).history;
  const until = <T>(what: string, check: () => Promise<T | undefined | false>) =>
    eventually(check, 20_000, what);

  it('rolling update: a device on a newer contract (v 3, a field this dashboard does not know) has its readings stored and shown; the field is counted at debug', async () => {
    const client = await deviceClient(stack.broker, 'newer-1');
    await client.publishAsync(
      'devices/newer-1/status',
      JSON.stringify({
        ...onlineStatus('newer-1'),
        v: 3,
        epoch: 'n1',
        epoch_reason: 'first_start',
        clock_synced: true,
        radio: { rssi: -60 },
      }),
      { qos: 1, retain: true },
    );
    await client.publishAsync('devices/newer-1/availability', 'online', { qos: 1, retain: true });
    const sent = [0, 1, 2].map((seq) => ({ ...reading('newer-1', seq), v: 3, wind_speed: 3 + seq }));
    await publishReadings(client, sent);
    const shown = await until('the readings of the newer device', async () => {
      const list = await history('newer-1');
      return list.length === 3 ? list : undefined;
    });
    expect(shown.map((r) => [r.seq, r.v, 'wind_speed' in r])).toEqual([
      [0, 3, false],
      [1, 3, false],
      [2, 3, false],
    ]);
    expect(await summary('newer-1')).toMatchObject({
      online: true,
      epoch: 'n1',
      delivery: { received: 3, lost: 0, conflicts: 0 },
      latest: { seq: 2, v: 3 },
    });
    // The log lines come through the process's stdout, which may lag behind its HTTP answers.
    const ignoredLines = () =>
      dashboard.lines
        .filter((line) => line.includes('Ignored fields this release does not know'))
        .map(
          (line) =>
            JSON.parse(line) as { level: number; fields: string[]; ignored_total: Record<string, number> },
        );
    const debug = await until('the debug lines of the ignored fields', async () => {
      const lines = ignoredLines();
      return lines.length >= 4 ? lines : undefined;
    });
    expect(debug.every((line) => line.level === 20)).toBe(true);
    expect(debug.map((line) => line.fields)).toEqual([
      ['radio'],
      ['wind_speed'],
      ['wind_speed'],
      ['wind_speed'],
    ]);
    expect(debug.at(-1)?.ignored_total).toEqual({ radio: 1, wind_speed: 3 });
    await client.endAsync();
  });

  it('contract 1 device: readings without v, epoch or clock_synced, its status and its last will on the status topic are still stored and shown', async () => {
    const will = {
      topic: 'devices/old-1/status',
      payload: Buffer.from('{"device_id":"old-1","online":false}'),
      qos: 1 as const,
      retain: true,
    };
    const client = await mqtt.connectAsync(stack.broker.url, { clientId: 'edge-old-1', will });
    await client.publishAsync('devices/old-1/status', JSON.stringify(onlineStatus('old-1')), {
      qos: 1,
      retain: true,
    });
    // Its seq had gaps by design (a graceful restart skipped ahead): they are not losses.
    const sent = [0, 1, 2, 1003, 1004].map((seq) => {
      const { v: _v, epoch: _e, clock_synced: _c, ...old } = reading('old-1', seq);
      return old;
    });
    await publishReadings(client, sent);
    const online = await until('the contract 1 device', async () => {
      const device = await summary('old-1');
      return device?.delivery.received === 5 ? device : undefined;
    });
    expect(online).toMatchObject({
      online: true,
      epoch: null,
      epoch_reason: null,
      clock_synced: null,
      delivery: { received: 5, lost: 0, conflicts: 0 },
    });
    const shown = await history('old-1');
    expect(shown.map((r) => [r.seq, 'v' in r, 'epoch' in r, r.trusted_at === r.timestamp])).toEqual(
      sent.map((r) => [r.seq, false, false, true]),
    );
    // A power cut: the broker publishes its last will.
    client.stream.destroy();
    const offline = await until('the last will', async () => {
      const device = await summary('old-1');
      return device?.online === false ? device : undefined;
    });
    expect(offline).toMatchObject({ firmware: 'v1.0.0', sensor: { healthy: true }, latest: { seq: 1004 } });
    client.end(true);
  });

  it("state lost on the device: a new epoch's readings with seq from 0 again are stored, become latest, and are counted apart", async () => {
    const client = await deviceClient(stack.broker, 'reset-1');
    const status = (epoch: string, reason: 'first_start' | 'state_lost') =>
      JSON.stringify({ ...onlineStatus('reset-1'), v: 2, epoch, epoch_reason: reason, clock_synced: true });
    await client.publishAsync('devices/reset-1/status', status('before', 'first_start'), {
      qos: 1,
      retain: true,
    });
    const t0 = Date.now() - 60_000;
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    await publishReadings(
      client,
      Array.from({ length: 100 }, (_, seq) =>
        reading('reset-1', seq, { epoch: 'before', timestamp: at(seq * 100) }),
      ),
    );
    await client.publishAsync('devices/reset-1/status', status('after', 'state_lost'), {
      qos: 1,
      retain: true,
    });
    // The new epoch counts from 0 again; seq 3 never arrives.
    const after = [0, 1, 2, 4, 5].map((seq) =>
      reading('reset-1', seq, { epoch: 'after', timestamp: at(20_000 + seq * 100) }),
    );
    await publishReadings(client, after);
    const device = await until('both epochs', async () => {
      const d = await summary('reset-1');
      return d?.delivery.received === 105 ? d : undefined;
    });
    expect(device).toMatchObject({
      epoch: 'after',
      epoch_reason: 'state_lost',
      delivery: { received: 105, lost: 1, conflicts: 0 },
      latest: { epoch: 'after', seq: 5 },
    });
    const shown = await history('reset-1');
    expect(shown).toHaveLength(105);
    expect(shown.slice(-5).map((r) => [r.epoch, r.seq])).toEqual(after.map((r) => ['after', r.seq]));
    await client.endAsync();
  });

  it('time: a reading a year old from an unsynced clock and one from tomorrow are stored, filed when they arrived, kept by retention, and the future one does not stay latest', async () => {
    const client = await deviceClient(stack.broker, 'clock-1');
    const yearOld = reading('clock-1', 0, {
      timestamp: new Date(Date.now() - 365 * DAY).toISOString(),
      clock_synced: false,
    });
    const tomorrow = reading('clock-1', 1, { timestamp: new Date(Date.now() + DAY).toISOString() });
    const arrived = Date.now();
    await publishReadings(client, [yearOld, tomorrow]);
    const filed = await until('the two readings', async () => {
      const list = await history('clock-1');
      return list.length === 2 ? list : undefined;
    });
    const done = Date.now();
    for (const [stored, sent] of [
      [filed.find((r) => r.seq === 0), yearOld],
      [filed.find((r) => r.seq === 1), tomorrow],
    ] as const) {
      expect(stored?.timestamp).toBe(sent.timestamp); // kept as sent, visible in the API
      expect(stored?.trusted_at).toBe(stored?.received_at);
      const at = Date.parse(stored?.trusted_at ?? '');
      expect(at).toBeGreaterThanOrEqual(arrived - 1000);
      expect(at).toBeLessThanOrEqual(done);
    }
    // Retention runs at every start (HISTORY_DAYS=30): the year-old reading stays.
    expect(await dashboard.stop()).toBe(0);
    await dashboard.start();
    expect((await history('clock-1')).map((r) => r.seq).sort()).toEqual([0, 1]);
    const retentionRuns = dashboard.lines
      .filter((line) => line.includes('"Removed old telemetry"'))
      .map((line) => JSON.parse(line).removed as number);
    expect(retentionRuns).toEqual([0, 0]); // at the first start and at the restart

    // The next reading of the device, taken now, is the latest: tomorrow's is not latest forever.
    await publishReadings(client, [reading('clock-1', 2)]);
    const latest = await until('the next reading as latest', async () => {
      const device: DeviceSummary | undefined = await summary('clock-1');
      return device?.latest?.seq === 2 ? (device.latest as StoredReading) : undefined;
    });
    expect(latest.trusted_at).toBe(latest.timestamp);
    await client.endAsync();
  });
});

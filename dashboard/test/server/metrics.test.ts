import { statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetMetrics } from '../../src/metrics/fleet-metrics.js';
import { call, loggedIn } from './access-helpers.js';
import { ack, eventually, offlineStatus, onlineStatus, telemetry } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';
import { openStream, type Stream } from './sse-stream.js';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Parses the Prometheus text format strictly: every sample line is `name{labels} value` of a family
 * announced by HELP and TYPE lines before it; anything else fails the test.
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const help = new Set<string>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment) {
      if (comment[1] === 'HELP') help.add(comment[2] as string);
      else types.set(comment[2] as string, comment[3] as string);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? (\S+)$/.exec(
      line,
    );
    if (!sample) throw new Error(`Not a Prometheus sample line: ${JSON.stringify(line)}`);
    const name = sample[1] as string;
    if (!help.has(name) || !types.has(name)) throw new Error(`${name} has no HELP or TYPE line before it`);
    if (types.get(name) === 'counter' && !name.endsWith('_total'))
      throw new Error(`counter ${name} lacks _total`);
    const value = Number(sample[3]);
    if (!Number.isFinite(value)) throw new Error(`${name} has no number: ${sample[3]}`);
    samples.set(`${name}${sample[2] ?? ''}`, value);
  }
  return samples;
}

describe('GET /metrics (Prometheus)', () => {
  let h: Harness;
  const streams: Stream[] = [];
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await h?.close();
  });

  const scrape = async (credentials: { cookie?: string; token?: string } = {}) => {
    const response = await call(h.dashboard.app, 'GET', '/metrics', credentials);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(PROMETHEUS_TEXT);
    return parsePrometheus(response.body);
  };

  it('with logins on: 401 without a token or with a bad one, 200 with a token of any role or a session', async () => {
    h = await startHarness({ access: { auth: 'on' } });
    const none = await call(h.dashboard.app, 'GET', '/metrics');
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatch(/needs a login/);
    expect(none.body).not.toContain('fleet_');
    const bad = await call(h.dashboard.app, 'GET', '/metrics', { token: 'not-a-token' });
    expect(bad.statusCode).toBe(401);
    const { token } = await h.dashboard.tokens.create('prometheus', 'viewer', 'ada');
    expect((await scrape({ token })).get('fleet_devices')).toBe(0);
    const cookie = await loggedIn(h, 'vera', 'viewer');
    expect((await scrape({ cookie })).get('fleet_devices')).toBe(0);
  });

  it('reports what a real ingest did: readings, gaps, conflicts, invalid messages, devices, commands', async () => {
    h = await startHarness();
    const c2 = (seq: number, overrides = {}) =>
      telemetry({
        v: 2,
        clock_synced: true,
        epoch: 'e1',
        seq,
        timestamp: `2025-03-01T12:00:0${seq}.000Z`,
        ...overrides,
      });
    const before = await scrape();
    expect(before.get('fleet_readings_received_total')).toBe(0);
    const sizeBefore = before.get('fleet_database_size_bytes') as number;

    await h.deliver('devices/pi-1/status', onlineStatus('pi-1', { alerte: true }));
    await h.deliver('devices/pi-2/status', onlineStatus('pi-2'));
    await h.deliver('devices/pi-3/status', onlineStatus('pi-3'));
    await h.deliver('devices/pi-3/status', offlineStatus('pi-3'));
    // seqs 0, 1, 2 and 5 of one epoch: 3 and 4 are lost; seq 1 again with another temperature: a conflict.
    for (const seq of [0, 1, 2, 5]) await h.deliver('devices/pi-1/data', c2(seq, { alerte: true }));
    await h.deliver('devices/pi-1/data', c2(1, { temperature: 35, alerte: true }));
    await h.deliver('devices/pi-2/data', telemetry({ device_id: 'pi-2', seq: 0 }));
    await h.deliver('devices/pi-2/data', '{"not": "a reading"}');
    await h.deliver('devices/pi-2/data', 'not json');

    // A command while the broker is down: not_sent. Three the broker took: one applied, one rejected, one silent.
    const refused = await call(
      h.dashboard.app,
      'POST',
      '/api/command',
      {},
      { device_id: 'pi-2', intervalle: 10 },
    );
    expect(refused.statusCode).toBe(503);
    for (const id of ['c-applied', 'c-rejected', 'c-silent']) {
      h.dashboard.trail.record({
        commandId: id,
        deviceId: 'pi-1',
        by: { name: 'ops', kind: 'user' },
        command: { intervalle: 10 },
        outcome: 'no_answer',
      });
    }
    await h.deliver('devices/pi-1/ack', ack('pi-1', 'c-applied'));
    await h.deliver('devices/pi-1/ack', ack('pi-1', 'c-rejected', { status: 'rejected', error: 'busy' }));

    const m = await scrape();
    expect(m.get('fleet_readings_received_total')).toBe(5);
    expect(m.get('fleet_readings_lost')).toBe(2);
    expect(m.get('fleet_readings_conflicts_total')).toBe(1);
    expect(m.get('fleet_messages_invalid_total')).toBe(2);
    expect(m.get('fleet_devices')).toBe(3);
    expect(m.get('fleet_devices_online')).toBe(2);
    expect(m.get('fleet_devices_offline')).toBe(1);
    expect(m.get('fleet_devices_alerting')).toBe(1);
    expect(m.get('fleet_ingest_pending_messages')).toBe(0);
    expect(m.get('fleet_database_failing')).toBe(0);
    expect(m.get('fleet_commands_total{outcome="applied"}')).toBe(1);
    expect(m.get('fleet_commands_total{outcome="rejected"}')).toBe(1);
    expect(m.get('fleet_commands_total{outcome="not_sent"}')).toBe(1);
    expect(m.get('fleet_commands_unanswered')).toBe(1);
    const path = h.store.path;
    const onDisk = statSync(path).size + statSync(`${path}-wal`).size;
    expect(m.get('fleet_database_size_bytes')).toBe(onDisk);
    expect(onDisk).toBeGreaterThan(sizeBefore);
    expect(m.get('fleet_event_stream_clients')).toBe(0);
  });

  it('parses with an independent Prometheus parser: every family with its HELP, type and value', async () => {
    h = await startHarness();
    await h.deliver('devices/pi-1/data', telemetry({ seq: 0 }));
    const response = await call(h.dashboard.app, 'GET', '/metrics');
    const families = parsePrometheusTextFormat(response.body);
    const byName = new Map(families.map((family) => [family.name, family]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'fleet_alert_notifications_total',
        'fleet_alerts_open',
        'fleet_commands_total',
        'fleet_commands_unanswered',
        'fleet_database_failing',
        'fleet_database_size_bytes',
        'fleet_devices',
        'fleet_devices_alerting',
        'fleet_devices_offline',
        'fleet_devices_online',
        'fleet_event_stream_clients',
        'fleet_ingest_pending_messages',
        'fleet_messages_invalid_total',
        'fleet_readings_conflicts_total',
        'fleet_readings_lost',
        'fleet_readings_received_total',
      ].sort(),
    );
    for (const family of families) {
      expect(family.help.length, family.name).toBeGreaterThan(10);
      expect(family.type, family.name).toBe(family.name.endsWith('_total') ? 'COUNTER' : 'GAUGE');
    }
    expect(byName.get('fleet_readings_received_total')?.metrics).toEqual([{ value: '1' }]);
    expect(
      byName
        .get('fleet_commands_total')
        ?.metrics.map((m) => m.labels?.outcome)
        .sort(),
    ).toEqual(['applied', 'not_sent', 'rejected']);
  });

  it('counts the event-stream clients while they are connected', async () => {
    h = await startHarness({ heartbeatMs: 100 });
    await h.dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (h.dashboard.app.server.address() as AddressInfo).port;
    streams.push(openStream(port), openStream(port));
    const clients = async () => (await scrape()).get('fleet_event_stream_clients');
    await eventually(async () => (await clients()) === 2, 5000, 'two stream clients counted');
    streams.pop()?.close();
    await eventually(async () => (await clients()) === 1, 5000, 'one stream client left');
  });

  it('says the database fails when it does not answer, and keeps the last figures it read', async () => {
    h = await startHarness();
    await h.deliver('devices/pi-1/data', telemetry({ seq: 0 }));
    expect((await scrape()).get('fleet_readings_received_total')).toBe(1);
    h.store.close();
    const m = await scrape();
    expect(m.get('fleet_database_failing')).toBe(1);
    expect(m.get('fleet_readings_received_total')).toBe(1);
  });
});

describe('FleetMetrics', () => {
  it('reads what several metrics share once per scrape, and again at the next one', async () => {
    const reads = { delivery: 0, outcomes: 0, counts: 0 };
    const metrics = new FleetMetrics({
      store: { isHealthy: () => true, path: ':memory:' },
      delivery: {
        read: () => {
          reads.delivery += 1;
          return { received: 3, lost: 1, conflicts: 0 };
        },
      },
      fleet: {
        counts: () => {
          reads.counts += 1;
          return { devices: 2, online: 1, offline: 1, alerting: 0 };
        },
      },
      ingest: { pending: 0, failing: null, invalid: { total: () => 0 } },
      hub: { size: 0 },
      trail: {
        outcomeCounts: () => {
          reads.outcomes += 1;
          return { no_answer: 1, applied: 2, rejected: 0, not_sent: 0 };
        },
      },
    });
    const text = await metrics.text();
    expect(text).toMatch(/^fleet_readings_lost 1$/m);
    expect(text).toMatch(/^fleet_devices_online 1$/m);
    expect(text).toMatch(/^fleet_commands_total\{outcome="applied"\} 2$/m);
    expect(reads).toEqual({ delivery: 1, outcomes: 1, counts: 1 });
    await metrics.text();
    expect(reads).toEqual({ delivery: 2, outcomes: 2, counts: 2 });
  });
});

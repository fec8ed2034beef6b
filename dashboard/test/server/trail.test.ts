import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { buildDashboard, type CommandLogEntry } from '@fleet/dashboard';
import { parseCommand, Topics } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, loggedIn } from './access-helpers.js';
import { ack, eventually, onlineStatus, quietLogger } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

/** A device's MQTT side that answers each command as told: applied, rejected with a reason, or not at all. */
async function device(broker: BrokerHandle, deviceId: string) {
  const client: MqttClient = await mqtt.connectAsync(broker.url, {
    clientId: `trail-${deviceId}-${Date.now()}`,
  });
  const state = { answer: 'applied' as 'applied' | 'rejected' | 'silent' };
  await client.subscribeAsync(`devices/${deviceId}/commands`, { qos: 1 });
  client.on('message', (_topic, payload) => {
    const parsed = parseCommand(payload, deviceId);
    if (!parsed.ok || state.answer === 'silent') return;
    const reply = ack(deviceId, parsed.value.command_id ?? null, {
      status: state.answer,
      error: state.answer === 'rejected' ? 'A firmware update is running; try again when it ends.' : null,
    });
    client.publish(`devices/${deviceId}/ack`, JSON.stringify(reply), { qos: 1 });
  });
  return { client, state };
}

describe('the command trail', () => {
  let broker: BrokerHandle;
  let h: Harness;
  let pi: Awaited<ReturnType<typeof device>>;
  let announced: CommandLogEntry[];
  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await broker?.stop();
  });
  beforeEach(async () => {
    h = await startHarness({ broker, connect: true, access: { auth: 'on' } });
    pi = await device(broker, 'pi-1');
    h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    announced = [];
    h.dashboard.events.on('command', (entry) => announced.push(entry));
  });
  afterEach(async () => {
    await pi.client.endAsync();
    await h.close();
  });

  const trail = (cookie: string, query = '') =>
    call(h.dashboard.app, 'GET', `/api/devices/pi-1/commands${query}`, { cookie });

  it("records who sent a command, what and when, and the outcome from the device's ack", async () => {
    const cookie = await loggedIn(h, 'olivia', 'operator');
    const sent = await call(
      h.dashboard.app,
      'POST',
      '/api/command?wait=5',
      { cookie },
      {
        device_id: 'pi-1',
        mode: 'economie',
        intervalle: 10,
      },
    );
    expect(sent.statusCode).toBe(200);
    const commandId = sent.json().command_id;
    const expected: CommandLogEntry = {
      command_id: commandId,
      device_id: 'pi-1',
      sent_at: '2025-03-01T12:00:00.000Z',
      by: { name: 'olivia', kind: 'user' },
      command: { mode: 'economie', intervalle: 10 },
      outcome: 'applied',
      error: null,
      answered_at: '2025-03-01T12:00:00.000Z',
    };
    expect((await trail(cookie)).json()).toEqual({ device_id: 'pi-1', commands: [expected] });
    // The SSE event `command`: once when sent, again when answered.
    expect(announced).toEqual([{ ...expected, outcome: 'no_answer', answered_at: null }, expected]);
  });

  it("keeps a rejection's reason, names a token as the sender, and lists newest first with a limit", async () => {
    const cookie = await loggedIn(h, 'olivia', 'operator');
    const { token } = await h.dashboard.tokens.create('nightly script', 'operator', 'ada');
    pi.state.answer = 'rejected';
    const rejected = await call(
      h.dashboard.app,
      'POST',
      '/api/command?wait=5',
      { token },
      {
        device_id: 'pi-1',
        update_firmware: 'v1.2.0',
      },
    );
    expect(rejected.statusCode).toBe(422);
    pi.state.answer = 'applied';
    h.clock.advance(60_000);
    await call(
      h.dashboard.app,
      'POST',
      '/api/command?wait=5',
      { cookie },
      { device_id: 'pi-1', read_now: true },
    );
    const { commands } = (await trail(cookie)).json();
    expect(commands.map((c: CommandLogEntry) => [c.by, c.outcome, c.error, c.command])).toEqual([
      [{ name: 'olivia', kind: 'user' }, 'applied', null, { read_now: true }],
      [
        { name: 'nightly script', kind: 'token' },
        'rejected',
        'A firmware update is running; try again when it ends.',
        { update_firmware: 'v1.2.0' },
      ],
    ]);
    expect((await trail(cookie, '?limit=1')).json().commands).toHaveLength(1);
    const viewer = await loggedIn(h, 'victor', 'viewer');
    expect((await trail(viewer)).statusCode).toBe(200);
  });

  it('matches an ack that comes hours later, after a restart, by its command id', async () => {
    const cookie = await loggedIn(h, 'olivia', 'operator');
    pi.state.answer = 'silent';
    const sent = await call(
      h.dashboard.app,
      'POST',
      '/api/command',
      { cookie },
      { device_id: 'pi-1', actif: false },
    );
    const commandId = sent.json().command_id;
    await eventually(() => announced.length === 1, 5000, 'the command event');
    expect((await trail(cookie)).json().commands[0]).toMatchObject({
      outcome: 'no_answer',
      answered_at: null,
    });

    // The dashboard restarts on the same database; the device answers three hours later.
    await h.dashboard.app.close();
    h.dashboard.dispose();
    h.clock.advance(3 * 3_600_000);
    const restarted = await buildDashboard({
      store: h.store,
      broker: h.broker,
      topics: new Topics(),
      logger: quietLogger(),
      clock: h.clock,
      webPaths: h.webPaths,
      access: { auth: 'on', sessionHours: 12, allowedHosts: [], certNames: [], corsOrigins: [] },
    });
    try {
      await pi.client.publishAsync('devices/pi-1/ack', JSON.stringify(ack('pi-1', commandId)), { qos: 1 });
      const answered = await eventually(
        async () => {
          const response = await call(restarted.app, 'GET', '/api/devices/pi-1/commands', { cookie });
          const [entry] = response.json().commands as CommandLogEntry[];
          return entry?.outcome === 'applied' ? entry : undefined;
        },
        5000,
        'the late ack in the trail',
      );
      expect(answered).toMatchObject({
        command_id: commandId,
        sent_at: '2025-03-01T12:00:00.000Z',
        answered_at: '2025-03-01T15:00:00.000Z',
        by: { name: 'olivia', kind: 'user' },
      });
    } finally {
      await restarted.app.close();
      restarted.dispose();
    }
  });

  it('records not_sent with the reason when the broker is unreachable, and refuses a command id used before', async () => {
    const cookie = await loggedIn(h, 'olivia', 'operator');
    const first = await call(
      h.dashboard.app,
      'POST',
      '/api/command',
      { cookie },
      {
        device_id: 'pi-1',
        mode: 'auto',
        command_id: 'once',
      },
    );
    expect(first.statusCode).toBe(200);
    const again = await call(
      h.dashboard.app,
      'POST',
      '/api/command',
      { cookie },
      {
        device_id: 'pi-1',
        mode: 'auto',
        command_id: 'once',
      },
    );
    expect([again.statusCode, again.json().error]).toEqual([
      409,
      'Field "command_id" received "once", the id of a command sent before; accepted: an id not used yet, or none (the dashboard makes one).',
    ]);
    await h.broker.stop();
    const down = await call(
      h.dashboard.app,
      'POST',
      '/api/command',
      { cookie },
      { device_id: 'pi-1', mode: 'manuel' },
    );
    expect(down.statusCode).toBe(503);
    expect((await trail(cookie)).json().commands[0]).toMatchObject({
      outcome: 'not_sent',
      error: 'The MQTT broker was not reachable.',
      command: { mode: 'manuel' },
      by: { name: 'olivia', kind: 'user' },
    });
  });

  it.each([
    [
      '?limit=0',
      400,
      'Query parameter "limit" received "0"; accepted: a whole number from 1 to 200 (default 20).',
    ],
    [
      '?limit=201',
      400,
      'Query parameter "limit" received "201"; accepted: a whole number from 1 to 200 (default 20).',
    ],
    ['?since=1', 400, 'Query parameter "since" is not accepted; accepted: limit.'],
  ])('refuses %s with a sentence', async (query, status, sentence) => {
    const cookie = await loggedIn(h, 'victor', 'viewer');
    const response = await trail(cookie, query);
    expect([response.statusCode, response.json().error]).toEqual([status, sentence]);
    const unknown = await call(h.dashboard.app, 'GET', '/api/devices/pi-9/commands', { cookie });
    expect(unknown.statusCode).toBe(404);
  });
});

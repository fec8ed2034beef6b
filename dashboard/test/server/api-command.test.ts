import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import { type Ack, type Command, parseCommand, validateCommand } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ack, eventually, onlineStatus } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

/**
 * A stand-in for the device's MQTT side (the real firmware runs in the integration tests): it records the
 * commands it receives and answers each with an ack, applied or rejected as the test says.
 */
async function fakeDevice(broker: BrokerHandle, deviceId: string) {
  const client: MqttClient = await mqtt.connectAsync(broker.url, {
    clientId: `device-${deviceId}-${Date.now()}`,
  });
  const received: Command[] = [];
  const state = { answer: 'applied' as 'applied' | 'rejected' | 'silent' };
  await client.subscribeAsync(`devices/${deviceId}/commands`, { qos: 1 });
  client.on('message', (_topic, payload) => {
    const parsed = parseCommand(payload, deviceId);
    if (!parsed.ok) throw new Error(`The dashboard sent an invalid command: ${parsed.error}`);
    received.push(parsed.value);
    if (state.answer === 'silent') return;
    const reply: Ack = ack(deviceId, parsed.value.command_id ?? null, {
      status: state.answer,
      error: state.answer === 'rejected' ? 'The sensor is busy; try again.' : null,
      settings: { mode: parsed.value.mode ?? 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
    });
    client.publish(`devices/${deviceId}/ack`, JSON.stringify(reply), { qos: 1 });
  });
  return { client, received, state };
}

describe('HTTP API: POST /api/command', () => {
  let broker: BrokerHandle;
  let h: Harness;
  let device: Awaited<ReturnType<typeof fakeDevice>>;
  /** Everything published on any device's command topic, to prove what never got there. */
  let spy: MqttClient;
  let spied: string[];

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    spy = await mqtt.connectAsync(broker.url, { clientId: `spy-${Date.now()}` });
    await spy.subscribeAsync('devices/+/commands', { qos: 1 });
    spy.on('message', (topic, payload) => spied.push(`${topic} ${payload}`));
  });
  afterAll(async () => {
    await spy?.endAsync();
    await broker?.stop();
  });
  beforeEach(async () => {
    spied = [];
    h = await startHarness({ broker, connect: true });
    device = await fakeDevice(broker, 'pi-1');
    // A device of contract 2 (its status says v 2).
    h.deliver('devices/pi-1/status', onlineStatus('pi-1', { v: 2 }));
  });
  afterEach(async () => {
    await device.client.endAsync();
    await h.close();
  });

  const post = (payload: unknown, query = '', contentType = 'application/json') =>
    h.dashboard.app.inject({
      method: 'POST',
      url: `/api/command${query}`,
      headers: { 'content-type': contentType },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  it('publishes a valid command with a generated command_id and answers once the broker has it', async () => {
    const response = await post({ device_id: 'pi-1', mode: 'economie', intervalle: 10 });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toEqual({ status: 'success', command_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    await eventually(() => device.received.length === 1, 5000, 'the command at the device');
    // Contract 2: the version and the time it was issued (the dashboard's clock) go with it.
    expect(device.received[0]).toEqual({
      v: 2,
      device_id: 'pi-1',
      mode: 'economie',
      intervalle: 10,
      command_id: body.command_id,
      issued_at: '2025-03-01T12:00:00.000Z',
    });
  });

  it('sends a device of contract 1 (no v in its status) neither v nor issued_at, which it would refuse, and refuses a ttl_s for it', async () => {
    await h.deliver('devices/pi-1/status', onlineStatus('pi-1'));
    const response = await post({ device_id: 'pi-1', mode: 'auto', command_id: 'old' });
    expect(response.statusCode).toBe(200);
    await eventually(() => device.received.length === 1, 5000, 'the command at the device');
    expect(device.received[0]).toEqual({ device_id: 'pi-1', mode: 'auto', command_id: 'old' });
    const refused = await post({ device_id: 'pi-1', read_now: true, ttl_s: 60 });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toBe(
      'Field "ttl_s" received 60; accepted: nothing for device "pi-1", which runs a release of contract 1 that cannot expire commands (update its firmware first).',
    );
  });

  it('passes a ttl_s on to the device and keeps it in the trail', async () => {
    const response = await post({ device_id: 'pi-1', read_now: true, ttl_s: 120, command_id: 'short' });
    expect(response.statusCode).toBe(200);
    await eventually(() => device.received.length === 1, 5000, 'the command at the device');
    expect(device.received[0]).toMatchObject({ ttl_s: 120, issued_at: '2025-03-01T12:00:00.000Z' });
    expect((await h.dashboard.trail.list('pi-1', 1))[0]?.command).toEqual({ read_now: true, ttl_s: 120 });
  });

  it('keeps a command_id given by the client', async () => {
    const response = await post({ device_id: 'pi-1', read_now: true, command_id: 'mine-1' });
    expect(response.json()).toEqual({ status: 'success', command_id: 'mine-1' });
  });

  it('with ?wait, answers with the ack the device applied', async () => {
    const response = await post({ device_id: 'pi-1', mode: 'manuel', command_id: 'c-42' }, '?wait=5');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'success',
      command_id: 'c-42',
      ack: expect.objectContaining({ device_id: 'pi-1', command_id: 'c-42', status: 'applied' }),
    });
    expect(response.json().ack.settings.mode).toBe('manuel');
  });

  it('with ?wait, answers 422 with the reason when the device rejects the command', async () => {
    device.state.answer = 'rejected';
    const response = await post({ device_id: 'pi-1', actif: false }, '?wait=5');
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      status: 'error',
      error: 'The sensor is busy; try again.',
      command_id: expect.any(String),
      ack: expect.objectContaining({ status: 'rejected', error: 'The sensor is busy; try again.' }),
    });
  });

  it('with ?wait, answers 504 when no ack comes in time', async () => {
    device.state.answer = 'silent';
    const response = await post({ device_id: 'pi-1', seuil_alerte: 25, command_id: 'quiet' }, '?wait=0.3');
    expect(response.statusCode).toBe(504);
    expect(response.json()).toEqual({
      status: 'error',
      error:
        'Device "pi-1" did not acknowledge command "quiet" within 0.3 s; it was sent and may still be applied.',
      command_id: 'quiet',
    });
    expect(h.dashboard.commands.waiting).toBe(0);
  });

  it.each([
    ['no device_id', { mode: 'auto' }, 'Field "device_id" received nothing; accepted: 1 to 64 characters'],
    [
      'a device_id that cannot be one',
      { device_id: 'pi/1', mode: 'auto' },
      'Field "device_id" received "pi/1"',
    ],
    ['no action', { device_id: 'pi-1' }, 'The command received {"device_id":"pi-1"} with no action'],
    ['an interval out of range', { device_id: 'pi-1', intervalle: 0 }, null],
    ['a threshold out of range', { device_id: 'pi-1', seuil_alerte: 50, mode: 'auto' }, null],
    ['an unknown mode', { device_id: 'pi-1', mode: 'turbo' }, null],
    ['an unknown field', { device_id: 'pi-1', mode: 'auto', reboot: true }, null],
    ['a bad firmware version', { device_id: 'pi-1', update_firmware: '1.1' }, null],
    ['read_now false', { device_id: 'pi-1', read_now: false }, null],
    ['a ttl_s of 0', { device_id: 'pi-1', read_now: true, ttl_s: 0 }, null],
    ['a ttl_s over 7 days', { device_id: 'pi-1', read_now: true, ttl_s: 604_801 }, null],
    [
      'an issued_at (the dashboard stamps it)',
      { device_id: 'pi-1', read_now: true, issued_at: '2025-03-01T12:00:00Z' },
      'Field "issued_at" received "2025-03-01T12:00:00Z"; accepted: nothing, the dashboard stamps the time it sends the command (give ttl_s to say how long it stays valid).',
    ],
    [
      'a v (the dashboard writes it)',
      { device_id: 'pi-1', read_now: true, v: 2 },
      'Field "v" received 2; accepted: nothing, the dashboard writes the version of the contract it speaks.',
    ],
    ['a body that is not an object', [1, 2], 'The request body received [1,2]; accepted: a JSON object'],
  ])('refuses %s with 400 and publishes nothing', async (_what, body, start) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    const expected =
      start ?? (validateCommand(body as Record<string, unknown>) as { ok: false; error: string }).error;
    expect(response.json()).toEqual({ status: 'error', error: expect.stringContaining(expected) });
    expect(response.json().error.startsWith(expected)).toBe(true);
    // A valid command sent afterwards is the first thing on the command topics.
    await post({ device_id: 'pi-1', read_now: true, command_id: 'after' });
    await eventually(() => spied.length > 0, 5000, 'the valid command at the spy');
    expect(spied).toHaveLength(1);
    expect(spied[0]).toMatch(/^devices\/pi-1\/commands .*"command_id":"after"/);
  });

  it.each([
    [
      'invalid JSON',
      '{"device_id": ',
      'application/json',
      400,
      'The request body received text that is not JSON; accepted: a JSON object.',
    ],
    [
      'an empty JSON body',
      '',
      'application/json',
      400,
      'The request body received nothing; accepted: a JSON object.',
    ],
    [
      'plain text',
      'mode=auto',
      'text/plain',
      400,
      'The request body received "mode=auto"; accepted: a JSON object',
    ],
    [
      'an unsupported media type',
      '<x/>',
      'application/xml',
      415,
      'Header "content-type" received "application/xml"; accepted: "application/json".',
    ],
  ])('refuses %s', async (_what, payload, type, status, start) => {
    const response = await post(payload, '', type);
    expect(response.statusCode).toBe(status);
    expect(response.json().status).toBe('error');
    expect(response.json().error.startsWith(start)).toBe(true);
  });

  it.each([
    ['wait=31', 'Query parameter "wait" received "31"; accepted: a number of seconds from 0 to 30'],
    ['wait=-1', 'Query parameter "wait" received "-1"'],
    ['wait=soon', 'Query parameter "wait" received "soon"'],
    ['timeout=3', 'Query parameter "timeout" is not accepted; accepted: wait.'],
  ])('refuses ?%s with 400 before publishing', async (query, start) => {
    const response = await post({ device_id: 'pi-1', mode: 'auto' }, `?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.startsWith(start)).toBe(true);
    expect(device.received).toEqual([]);
  });

  it('answers 404 for a device never seen, without publishing', async () => {
    const response = await post({ device_id: 'pi-9', mode: 'auto' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      status: 'error',
      error:
        'Device "pi-9" has never been seen by the dashboard; accepted: the id of a device that has sent data or status.',
    });
  });

  it('answers 503 while the broker is unreachable, and sends again once it is back', async () => {
    await broker.stop();
    try {
      await eventually(() => !h.broker.connected, 5000, 'the dashboard to notice the broker is gone');
      const health = await h.dashboard.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({ status: 'error', mqtt: 'disconnected', database: 'ok' });
      const response = await post({ device_id: 'pi-1', mode: 'auto' });
      expect(response.statusCode).toBe(503);
      expect(response.json().error).toMatch(/^The MQTT broker is not reachable, so the command was not sent/);
    } finally {
      await broker.start();
    }
    await eventually(() => h.broker.connected, 10_000, 'the dashboard to reconnect');
    const health = await h.dashboard.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok', mqtt: 'connected', database: 'ok' });
    // The stand-in device has a clean session: connect it again so it is subscribed before the command.
    await device.client.endAsync(true);
    device = await fakeDevice(broker, 'pi-1');
    const again = await post({ device_id: 'pi-1', mode: 'auto', command_id: 'back' }, '?wait=5');
    expect(again.statusCode).toBe(200);
    expect(again.json().ack.command_id).toBe('back');
  });
});

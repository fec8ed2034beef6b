import { randomUUID } from 'node:crypto';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import {
  type CommandLogResponse,
  type DataResponse,
  type DevicesResponse,
  loadDashboardConfig,
  type RunningDashboard,
  startDashboard,
} from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, tempDir } from '../server/fixtures.js';
import { EDGE_ENTRY, edgeBuilt, killAll, runService, type Service } from './processes.js';
import { openEventStream } from './sse-client.js';

const DEVICE = 'it-pi-1';
const built = edgeBuilt();
if (!built)
  console.warn(`Skipping the device-to-dashboard tests: ${EDGE_ENTRY} is missing; run \`npx tsc -b edge\`.`);

describe.skipIf(!built)('a real device, a real broker and the dashboard', () => {
  let broker: BrokerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let running: RunningDashboard;
  let base: string;
  let device: Service;
  /** Every message on the command topics, to prove a bad command never got there. */
  let spy: MqttClient;
  const spied: string[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await tempDir();
    spy = await mqtt.connectAsync(broker.url, { clientId: `spy-${randomUUID()}` });
    await spy.subscribeAsync('devices/+/commands', { qos: 1 });
    spy.on('message', (topic, payload) => spied.push(`${topic} ${payload}`));
    const port = await freePort();
    const config = loadDashboardConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: `dashboard-${randomUUID()}`,
      DATA_DIR: `${dir.path}/dashboard`,
    });
    running = await startDashboard(config, {
      logger: pino({ level: process.env.DEBUG_IT ? 'debug' : 'silent' }),
    });
    base = `http://127.0.0.1:${port}`;
    device = runService(EDGE_ENTRY, {
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      DEVICE_ID: DEVICE,
      SENSOR: 'synthetic',
      DATA_DIR: `${dir.path}/edge`,
      PUBLISH_INTERVAL: '1',
      LOG_LEVEL: 'info',
    });
  });

  afterAll(async () => {
    if (device) {
      const code = await Promise.race([
        device.stop(),
        new Promise((r) => setTimeout(() => r('timeout'), 10_000)),
      ]);
      if (code === 'timeout') await killAll([device]);
    }
    await running?.stop();
    await spy?.endAsync();
    await broker?.stop();
    await dir?.remove();
  });

  const getJson = async <T>(path: string): Promise<T> => (await fetch(`${base}${path}`)).json() as Promise<T>;

  it('shows the device telemetry in /api/data, /api/devices and on the event stream', async () => {
    const stream = openEventStream(`${base}/api/events?device=${DEVICE}`);
    try {
      const data = await eventually(
        async () => {
          const body = await getJson<DataResponse>(`/api/data?device=${DEVICE}`).catch(() => undefined);
          return body && body.history.length >= 2 ? body : undefined;
        },
        15_000,
        () => `readings of ${DEVICE} in /api/data (device output: ${device.lines.slice(-5).join(' | ')})`,
      );
      expect(data.devices).toContain(DEVICE);
      expect(data.latest[DEVICE]).toMatchObject({ device_id: DEVICE, source: 'synthetic' });
      const seqs = data.history.map((reading) => reading.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

      const telemetry = await eventually(
        () => stream.events.find((e) => e.event === 'telemetry')?.data as Telemetry | undefined,
        10_000,
        'a telemetry event',
      );
      expect(telemetry.device_id).toBe(DEVICE);
      expect(stream.events.some((e) => e.event === 'device')).toBe(true);

      const { devices } = await getJson<DevicesResponse>('/api/devices');
      expect(devices).toEqual([
        expect.objectContaining({
          device_id: DEVICE,
          online: true,
          firmware: expect.stringMatching(/^v\d+\.\d+\.\d+/),
          sensor: expect.objectContaining({ source: 'synthetic', healthy: true }),
          ota: expect.objectContaining({ state: expect.any(String) }),
          settings: expect.objectContaining({ intervalle: 1 }),
        }),
      ]);
    } finally {
      stream.close();
    }
  });

  it('sends a command the device applies, and brings its ack back', async () => {
    await eventually(
      async () => (await fetch(`${base}/healthz`)).status === 200,
      10_000,
      'a healthy dashboard',
    );
    const response = await fetch(`${base}/api/command?wait=10`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_id: DEVICE, mode: 'economie', seuil_alerte: 25.5 }),
    });
    const body = (await response.json()) as { command_id: string };
    expect(response.status).toBe(200);
    expect(body).toEqual({
      status: 'success',
      command_id: expect.any(String),
      ack: expect.objectContaining({
        device_id: DEVICE,
        command_id: body.command_id,
        status: 'applied',
        error: null,
        settings: expect.objectContaining({ mode: 'economie', seuil_alerte: 25.5 }),
      }),
    });
    const summary = await eventually(
      async () => {
        const { devices } = await getJson<DevicesResponse>('/api/devices');
        return devices.find((d) => d.device_id === DEVICE && d.settings?.mode === 'economie');
      },
      10_000,
      'the new settings in /api/devices',
    );
    expect(summary.settings?.seuil_alerte).toBe(25.5);
    // The trail: who sent it (anonymous: this dashboard has no login on loopback) and the device's answer.
    const trail = await getJson<CommandLogResponse>(`/api/devices/${DEVICE}/commands`);
    expect(trail.commands[0]).toEqual({
      command_id: body.command_id,
      device_id: DEVICE,
      sent_at: expect.any(String),
      by: { name: 'anonymous', kind: 'anonymous' },
      command: { mode: 'economie', seuil_alerte: 25.5 },
      outcome: 'applied',
      error: null,
      answered_at: expect.any(String),
    });
  });

  it('refuses a bad command with 400 and it never reaches the broker', async () => {
    const before = spied.length;
    const response = await fetch(`${base}/api/command?wait=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_id: DEVICE, intervalle: 600, command_id: 'bad-one' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      status: 'error',
      error: 'Field "intervalle" received 600; accepted: a whole number of seconds from 1 to 60.',
    });
    // A good command after it is the next thing on the command topics.
    const good = await fetch(`${base}/api/command?wait=10`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_id: DEVICE, read_now: true, command_id: 'good-one' }),
    });
    expect(good.status).toBe(200);
    await eventually(() => spied.length > before, 5000, 'the good command at the spy');
    expect(spied.slice(before)).toEqual([expect.stringMatching(/"command_id":"good-one"/)]);
    expect(spied.some((message) => message.includes('bad-one'))).toBe(false);
  });
});

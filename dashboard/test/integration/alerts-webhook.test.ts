import { randomUUID } from 'node:crypto';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import { loadDashboardConfig, type RunningDashboard, startDashboard } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertsPageResponse } from '../../src/http/routes/alerts.js';
import { Receiver } from '../alerts/receiver.js';
import { eventually, onlineStatus, telemetry, tempDir } from '../server/fixtures.js';

const DEVICE = 'alert-pi-1';

// Mosquitto, the dashboard as the service starts it (its configuration, its database on disk) and a webhook
// receiver: readings published over MQTT go through the real ingest, and the notifications through HTTP.
describe('alerts through Mosquitto, the dashboard and a webhook receiver', () => {
  let broker: BrokerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let running: RunningDashboard | null = null;
  let device: MqttClient;
  let receiver: Receiver;
  let base = '';
  let seq = 0;
  let config: ReturnType<typeof loadDashboardConfig>;

  beforeEach(async () => {
    seq = 0;
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await tempDir();
    receiver = new Receiver();
    const port = await freePort('127.0.0.1');
    config = loadDashboardConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: `dashboard-${randomUUID()}`,
      DATA_DIR: `${dir.path}/dashboard`,
    });
    base = `http://127.0.0.1:${port}`;
    running = await start();
    device = await mqtt.connectAsync(broker.url, { clientId: `device-${randomUUID()}` });
  });

  afterEach(async () => {
    await device?.endAsync();
    await running?.stop();
    await receiver.stop();
    await broker?.stop();
    await dir?.remove();
  });

  const start = () =>
    startDashboard(config, { logger: pino({ level: process.env.DEBUG_IT ? 'debug' : 'silent' }) });
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    expect(response.status, `${method} ${path}`).toBeLessThan(300);
    return response.json();
  };
  const publish = async (overrides: Partial<Telemetry>) => {
    const reading = telemetry({
      device_id: DEVICE,
      seq: seq++,
      timestamp: new Date().toISOString(),
      ...overrides,
    });
    await device.publishAsync(`devices/${DEVICE}/data`, JSON.stringify(reading), { qos: 1 });
  };
  const openIncidents = async () =>
    ((await api('GET', '/api/alerts?state=open')) as AlertsPageResponse).incidents;
  const hooks = () => receiver.to('/hook').map((request) => JSON.parse(request.body));

  it('sends exactly one alert and one resolved message for a threshold crossing, a value hovering at the limit included', async () => {
    await receiver.start();
    await api('PUT', '/api/alerts/channels', { webhook: { url: `${receiver.base}/hook`, token: null } });
    await device.publishAsync(
      `devices/${DEVICE}/status`,
      JSON.stringify(onlineStatus(DEVICE, { seuil_alerte: 30 })),
      {
        qos: 1,
        retain: true,
      },
    );
    for (const temperature of [25, 29.9, 31, 31.4, 30.1, 29.8, 30.3]) await publish({ temperature });
    await eventually(() => hooks().length === 1, 10_000, 'the alert at the webhook');
    await publish({ temperature: 28 });
    await eventually(() => hooks().length === 2, 10_000, 'the resolved message at the webhook');
    // Nothing more comes: more readings on either side of nothing, and time for a stray send.
    await publish({ temperature: 27.5 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      hooks().map((hook) => [
        hook.id,
        hook.event,
        hook.incident.rule,
        hook.incident.value,
        hook.incident.threshold,
      ]),
    ).toEqual([
      ['incident-1-opened', 'opened', 'high_temperature', 31, 30],
      ['incident-1-resolved', 'resolved', 'high_temperature', 31, 30],
    ]);
    expect(hooks()[1].incident.resolved_value).toBe(28);
    expect(await openIncidents()).toEqual([]);
  });

  it('raises a frost alert for a temperature below the low threshold', async () => {
    await receiver.start();
    await api('PUT', '/api/alerts/channels', { webhook: { url: `${receiver.base}/hook`, token: null } });
    await api('PUT', '/api/alerts/rules', { frost: { below: 3 } });
    await publish({ temperature: 4 });
    await publish({ temperature: 2.5 });
    await eventually(() => hooks().length === 1, 10_000, 'the frost alert at the webhook');
    expect(hooks()[0]).toMatchObject({
      event: 'opened',
      incident: { rule: 'frost', value: 2.5, threshold: 3, device_id: DEVICE },
    });
    expect((await openIncidents()).map((incident) => incident.rule)).toEqual(['frost']);
  });

  it('delivers a notification still pending when the dashboard stopped, after its restart', async () => {
    // The receiver's port is chosen, but nothing listens on it yet: the first attempts fail.
    const port = await freePort('127.0.0.1');
    await api('PUT', '/api/alerts/channels', {
      webhook: { url: `http://127.0.0.1:${port}/hook`, token: null },
    });
    await publish({ temperature: 0.5 });
    await eventually(async () => (await openIncidents()).length === 1, 10_000, 'the frost incident');
    await eventually(
      async () =>
        /fleet_alert_notifications_total\{channel="webhook",outcome="failed"\} [1-9]/.test(
          await (await fetch(`${base}/metrics`)).text(),
        ),
      10_000,
      'a failed attempt',
    );
    await running?.stop();
    running = null;
    await receiver.start(port);
    running = await start();
    await eventually(() => hooks().length === 1, 10_000, 'the pending notification after the restart');
    expect(hooks()[0]).toMatchObject({
      id: 'incident-1-opened',
      event: 'opened',
      incident: { rule: 'frost', state: 'open' },
    });
    // The incident stayed open across the restart: no second one, and no second notification.
    await publish({ temperature: 0.2 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hooks()).toHaveLength(1);
    expect((await openIncidents()).map((incident) => incident.id)).toEqual([1]);
  });
});

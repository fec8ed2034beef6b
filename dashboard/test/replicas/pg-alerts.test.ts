import { join } from 'node:path';
import { type BrokerHandle, startTestBroker } from '@fleet/cloud';
import type { Telemetry } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RulesView } from '../../src/alerts/alert-settings.js';
import type { AlertsPageResponse, ChannelsResponse } from '../../src/http/routes/alerts.js';
import { createPool } from '../../src/storage/postgres/pool.js';
import { Receiver } from '../alerts/receiver.js';
import { DashboardProcess, drillSkipReason } from '../drills/drill-kit.js';
import { eventually, onlineStatus, telemetry, tempDir } from '../server/fixtures.js';
import { describeWithPostgres, postgresMissing } from '../support/postgres-server.js';

const missing = postgresMissing();
const skip = missing ?? drillSkipReason('the replicas sharing alerts on PostgreSQL');
const DEVICE = 'greenhouse-1';
const LEADS = 'This replica leads the alerts now';

/**
 * Two compiled dashboard processes on one PostgreSQL database and one Mosquitto (MQTT_SHARE_GROUP, each its
 * own client id and SQLite file), and a webhook receiver: rules and channels set through one are what the
 * other shows and applies; one replica evaluates and sends, so a crossing is one "opened" and one "resolved"
 * message; the leader SIGKILLed while the incident is open, the other takes over and sends the "resolved" once.
 */
describeWithPostgres(
  'replicas on PostgreSQL share the alerts, and one of them evaluates and sends',
  skip,
  (server) => {
    let pool: pg.Pool;
    let broker: BrokerHandle;
    let dir: Awaited<ReturnType<typeof tempDir>>;
    let a: DashboardProcess;
    let b: DashboardProcess;
    let device: MqttClient;
    const receiver = new Receiver();
    let seq = 0;
    beforeAll(async () => {
      const url = await server().createDatabase();
      pool = createPool(url, 2);
      broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
      dir = await tempDir();
      await receiver.start();
      const env = { DATABASE_URL: url, MQTT_SHARE_GROUP: 'dashboards', AUTH: 'off' };
      a = new DashboardProcess(broker, join(dir.path, 'a'), env);
      b = new DashboardProcess(broker, join(dir.path, 'b'), env);
      // A first: it takes the alerts' lock; B, started after, follows.
      await a.start();
      await eventually(() => a.lines.some((line) => line.includes(LEADS)), 10_000, 'A to lead the alerts');
      await b.start();
      device = await mqtt.connectAsync(`mqtt://${broker.host}:${broker.port}`, {
        clientId: `device-${DEVICE}`,
      });
    }, 90_000);
    afterAll(async () => {
      await device?.endAsync();
      await a?.stop();
      await b?.stop();
      await receiver.stop();
      await pool?.end();
      await broker?.stop();
      await dir?.remove();
    });

    const send = async (replica: DashboardProcess, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${replica.base}${path}`, {
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
    const hooks = () => receiver.to('/hook').map((request) => JSON.parse(request.body));
    const notifications = async () =>
      (
        await pool.query<{ event: string; attempts: number; sent: boolean }>(
          'SELECT event, attempts, sent_at IS NOT NULL AS sent FROM alert_notifications ORDER BY id',
        )
      ).rows;

    it('one replica leads the alerts; rules and channels set through the other are shown by both and applied by the leader', async () => {
      expect(b.lines.some((line) => line.includes(LEADS))).toBe(false);
      // Set through B, the follower.
      await send(b, 'PUT', '/api/alerts/rules', { frost: { below: 5 } });
      await send(b, 'PUT', '/api/alerts/channels', {
        webhook: { url: `${receiver.base}/hook`, token: 'hook-secret' },
      });
      const rules = (await send(a, 'GET', '/api/alerts/rules')) as RulesView;
      expect(rules.defaults.frost).toMatchObject({ enabled: true, below: 5 });
      const channels = (await send(a, 'GET', '/api/alerts/channels')) as ChannelsResponse;
      expect(channels.channels.webhook).toEqual({
        url: `${receiver.base.replace(/\/$/, '')}/••••`,
        token: '••••',
      });
      // The leader read them again (at that request, else at its next tick, every 15 s) and says so.
      await eventually(
        () =>
          a.lines.some((line) => line.includes('Alert rules or channels changed through another replica')),
        30_000,
        'A to apply the rules set through B',
      );
      expect([...a.lines, ...b.lines].join('\n')).not.toContain('hook-secret');
    }, 60_000);

    it('a crossing is one "opened" message although two replicas run; the incident is listed by both', async () => {
      await device.publishAsync(`devices/${DEVICE}/status`, JSON.stringify(onlineStatus(DEVICE)), {
        qos: 1,
        retain: true,
      });
      for (const temperature of [8, 4, 3.5, 4.8, 4.2]) await publish({ temperature });
      await eventually(() => hooks().length === 1, 15_000, 'the opened message at the webhook');
      // Sent and marked sent by the leader before anything else happens.
      await eventually(async () => (await notifications()).every((n) => n.sent), 10_000, 'the mark');
      expect(hooks()[0]).toMatchObject({
        event: 'opened',
        incident: { rule: 'frost', value: 4, threshold: 5 },
      });
      for (const replica of [a, b]) {
        const page = (await send(replica, 'GET', '/api/alerts?state=open')) as AlertsPageResponse;
        expect(page.incidents.map((i) => [i.device_id, i.rule, i.value])).toEqual([[DEVICE, 'frost', 4]]);
      }
      expect(a.lines.filter((line) => line.includes('Alert opened: frost'))).toHaveLength(1);
      expect(b.lines.filter((line) => line.includes('Alert opened'))).toHaveLength(0);
    }, 60_000);

    it('the leader SIGKILLed with the incident open: the other takes over and sends the "resolved" exactly once', async () => {
      await a.kill();
      await eventually(() => b.lines.some((line) => line.includes(LEADS)), 20_000, 'B to take over');
      // B read the open incident back: the value still below the limit opens nothing new.
      await publish({ temperature: 4.5 });
      await publish({ temperature: 6 });
      await eventually(() => hooks().length === 2, 15_000, 'the resolved message at the webhook');
      await eventually(async () => (await notifications()).every((n) => n.sent), 10_000, 'the mark');
      const [opened, resolved] = hooks();
      expect(resolved).toMatchObject({
        id: `incident-${opened.incident.id}-resolved`,
        event: 'resolved',
        incident: { id: opened.incident.id, state: 'resolved', resolved_value: 6 },
      });
      expect(await notifications()).toEqual([
        { event: 'opened', attempts: 1, sent: true },
        { event: 'resolved', attempts: 1, sent: true },
      ]);
      expect(b.lines.filter((line) => line.includes('Alert resolved: frost'))).toHaveLength(1);
      const page = (await send(b, 'GET', '/api/alerts')) as AlertsPageResponse;
      expect([page.open, page.total]).toEqual([0, 1]);
    }, 60_000);
  },
);

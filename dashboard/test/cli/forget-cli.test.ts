import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import { LOGIN_NEEDED, loadDashboardConfig, type RunningDashboard, startDashboard } from '@fleet/dashboard';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, onlineStatus, quietLogger, tempDir } from '../server/fixtures.js';

const FLEET_MAIN = fileURLToPath(new URL('../../../cloud/dist/fleet/main.js', import.meta.url));

/** `npm run fleet -- …` as a process of its own; resolves with its exit code and output. */
function fleet(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [FLEET_MAIN, ...args], { env: { PATH: process.env.PATH, ...env } });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout.on('data', (chunk) => out.push(String(chunk)));
  child.stderr.on('data', (chunk) => err.push(String(chunk)));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout: out.join(''), stderr: err.join('') })),
  );
}

describe('npm run fleet -- device forget, against a running dashboard and Mosquitto', () => {
  let broker: BrokerHandle;
  let device: MqttClient;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let running: RunningDashboard | null = null;
  let base = '';
  let port = 0;
  const start = async (clientId: string) => {
    const config = loadDashboardConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH: 'on',
      DASHBOARD_ADMIN_PASSWORD: 'the admin password',
      MQTT_BROKER: '127.0.0.1',
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: clientId,
      DATA_DIR: `${dir.path}/data`,
    });
    running = await startDashboard(config, { logger: quietLogger() });
  };
  const listed = async (token: string) => {
    const response = await fetch(`${base}/api/devices`, { headers: { authorization: `Bearer ${token}` } });
    return ((await response.json()) as { devices: Array<{ device_id: string }> }).devices.map(
      (d) => d.device_id,
    );
  };
  const retained = (id: string) =>
    device.publishAsync(`devices/${id}/status`, JSON.stringify(onlineStatus(id, { v: 2 })), {
      qos: 1,
      retain: true,
    });

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    device = await mqtt.connectAsync(broker.url, { clientId: `devices-${Date.now()}` });
    dir = await tempDir();
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await running?.stop();
    await device?.endAsync();
    await broker?.stop();
    await dir?.remove();
  });

  it('forgets with an operator token, says why not without one, and the retained status does not bring it back', async () => {
    await retained('lab-1');
    await retained('lab-2');
    await start('dashboard-forget-1');
    const dashboard = (running as RunningDashboard).dashboard;
    const operator = (await dashboard.tokens.create('cli', 'operator', 'admin')).token;
    const viewer = (await dashboard.tokens.create('grafana', 'viewer', 'admin')).token;
    await eventually(async () => (await listed(operator)).length === 2, 10_000, 'both devices listed');
    const env = { DASHBOARD_URL: base };

    const anonymous = await fleet(['device', 'forget', 'lab-1'], env);
    expect(anonymous).toEqual({
      code: 1,
      stdout: '',
      stderr: `lab-1: ${LOGIN_NEEDED} Set DASHBOARD_TOKEN to an API token of an operator or admin (npm run fleet -- token add NAME --role operator).\n`,
    });
    const asViewer = await fleet(['device', 'forget', 'lab-1'], { ...env, DASHBOARD_TOKEN: viewer });
    expect(asViewer.code).toBe(1);
    expect(asViewer.stderr).toBe(
      'lab-1: Your role is viewer; forgetting a device needs the operator or admin role.\n',
    );
    const unknownToo = await fleet(['device', 'forget', 'lab-1', 'lab-9'], {
      ...env,
      DASHBOARD_TOKEN: operator,
    });
    expect(unknownToo.code).toBe(1);
    expect(unknownToo.stderr.split('\n')).toEqual([
      `Forgot lab-1 in the dashboard at ${base}: its readings, delivery figures and place in the list are removed; its commands stay in the trail.`,
      'lab-9: Device "lab-9" has never been seen by the dashboard; accepted: the id of a device listed by GET /api/devices.',
      '',
    ]);
    expect(await listed(operator)).toEqual(['lab-2']);

    // A new session of the dashboard subscribes afresh: the broker sends every retained status again.
    await running?.stop();
    await retained('lab-3');
    await start('dashboard-forget-2');
    await eventually(async () => (await listed(operator)).includes('lab-3'), 10_000, 'the retained lab-3');
    expect(await listed(operator)).toEqual(['lab-2', 'lab-3']);
  });

  it('says in one sentence what is wrong with DASHBOARD_URL, or that the dashboard cannot be reached', async () => {
    expect(await fleet(['device', 'forget', 'lab-2'], { DASHBOARD_URL: 'dashboard:8080' })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Environment variable DASHBOARD_URL received "dashboard:8080"; accepted: the dashboard\'s address, such as http://127.0.0.1:8080 or https://dashboard.example.com.\n',
    });
    const closed = await freePort();
    const unreachable = await fleet(['device', 'forget', 'lab-2'], {
      DASHBOARD_URL: `http://127.0.0.1:${closed}`,
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      new RegExp(
        `^The dashboard at http://127\\.0\\.0\\.1:${closed} could not be reached \\(.*ECONNREFUSED.*\\); set DASHBOARD_URL to its address\\.\\n$`,
      ),
    );
    expect((await fleet(['device', 'forget'], {})).stderr).toBe(
      'Command "device forget" received no device id; accepted: one id or more.\n',
    );
  });
});

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import type { DataResponse, DevicesResponse } from '@fleet/dashboard';
import { formatEnvFile } from '@fleet/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, onlineStatus, readings, tempDir } from '../server/fixtures.js';
import { DASHBOARD_ENTRY, dashboardBuilt, killAll, runService, type Service } from './processes.js';

const built = dashboardBuilt();
if (!built) {
  console.warn(
    `Skipping the compiled-entry tests: ${DASHBOARD_ENTRY} is missing; run \`npx tsc -b dashboard\`.`,
  );
}

describe.skipIf(!built)('node dashboard/dist/main.js', () => {
  let broker: BrokerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const services: Service[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
  });
  afterEach(async () => {
    await killAll(services.splice(0));
    await dir?.remove();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  async function start(env: Record<string, string>) {
    const service = runService(DASHBOARD_ENTRY, env);
    services.push(service);
    return service;
  }

  it('keeps the history and the fleet across a restart, and stops cleanly on SIGTERM', async () => {
    dir = await tempDir();
    const port = await freePort();
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: `dashboard-${randomUUID()}`,
      DATA_DIR: `${dir.path}/data`,
      HISTORY_DAYS: '3650',
    };
    const base = `http://127.0.0.1:${port}`;
    const first = await start(env);
    await eventually(
      async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200,
      20_000,
      () => `a healthy dashboard (output: ${first.lines.slice(-3).join(' | ')})`,
    );
    const started = first.lines.map((line) => JSON.parse(line)).find((line) => line.port === port);
    expect(started).toMatchObject({
      broker: `mqtt://${broker.host}:${broker.port}`,
      mqtt_client_id: env.MQTT_CLIENT_ID,
      database: `${dir.path}/data/dashboard.sqlite`,
      history_days: 3650,
    });

    const device = await mqtt.connectAsync(broker.url, { clientId: `device-${randomUUID()}` });
    await device.publishAsync('devices/pi-restart/status', JSON.stringify(onlineStatus('pi-restart')), {
      qos: 1,
      retain: true,
    });
    const sent = readings('pi-restart', 3, '2025-03-01T12:00:00Z');
    for (const reading of sent) {
      await device.publishAsync('devices/pi-restart/data', JSON.stringify(reading), { qos: 1 });
    }
    await device.endAsync();
    const before = await eventually(
      async () => {
        const body = (await (await fetch(`${base}/api/data`)).json()) as DataResponse;
        return body.history.length === 3 ? body : undefined;
      },
      10_000,
      'three readings',
    );
    // As sent, plus when the dashboard received each and the time it files it under (the device's here).
    expect(before.history.map(({ received_at: _r, trusted_at: _t, ...reading }) => reading)).toEqual(sent);
    expect(before.history.map((reading) => reading.trusted_at)).toEqual(sent.map((r) => r.timestamp));

    expect(await first.stop()).toBe(0);
    expect(first.lines.some((line) => line.includes('"Dashboard stopped"'))).toBe(true);

    const second = await start(env);
    await eventually(
      async () => (await fetch(`${base}/api/data`).catch(() => null))?.ok,
      20_000,
      () => `the restarted dashboard (output: ${second.lines.slice(-3).join(' | ')})`,
    );
    const after = (await (await fetch(`${base}/api/data`)).json()) as DataResponse;
    expect(after).toEqual(before);
    const { devices } = (await (await fetch(`${base}/api/devices`)).json()) as DevicesResponse;
    expect(devices.map((d) => [d.device_id, d.latest])).toEqual([['pi-restart', before.history[2]]]);
    expect(await second.stop()).toBe(0);
  }, 60_000);

  it('exits 1 with one line naming a bad variable, having started nothing', async () => {
    dir = await tempDir();
    const service = await start({ PORT: '80x', DATA_DIR: `${dir.path}/data` });
    expect(await service.exited).toBe(1);
    expect(service.lines).toHaveLength(1);
    expect(JSON.parse(service.lines[0] as string)).toMatchObject({
      level: 60,
      msg: 'Environment variable PORT received "80x"; accepted: a port number from 1 to 65535.',
    });
    expect(existsSync(`${dir.path}/data`)).toBe(false);
  });

  it('stops at once with exit 0 and one line on a device whose FLEET_ROLE is edge, touching nothing', async () => {
    dir = await tempDir();
    const service = await start({
      FLEET_ROLE: 'edge',
      ENV_FILE: `${dir.path}/never.env`,
      DATA_DIR: `${dir.path}/data`,
    });
    expect(await service.exited).toBe(0);
    expect(service.lines).toHaveLength(1);
    expect(JSON.parse(service.lines[0] as string)).toMatchObject({
      level: 30,
      msg: expect.stringContaining('FLEET_ROLE=edge: this device runs only the edge'),
    });
    expect(existsSync(`${dir.path}/data`)).toBe(false);
  });

  it('waits for its ENV_FILE, then connects with what the file says', async () => {
    dir = await tempDir();
    const port = await freePort();
    const envFile = `${dir.path}/shared/dashboard.env`;
    const service = await start({
      PORT: String(port),
      HOST: '127.0.0.1',
      ENV_FILE: envFile,
      DATA_DIR: `${dir.path}/data`,
    });
    await eventually(
      () => service.lines.some((line) => line.includes('waiting for ENV_FILE')),
      10_000,
      'the wait',
    );
    expect(existsSync(`${dir.path}/data`)).toBe(false);
    await mkdir(`${dir.path}/shared`);
    await writeFile(envFile, formatEnvFile({ MQTT_BROKER: broker.host, MQTT_PORT: String(broker.port) }));
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200,
      20_000,
      () =>
        `a dashboard connected to the broker of the file (output: ${service.lines.slice(-3).join(' | ')})`,
    );
    expect(await service.stop()).toBe(0);
  }, 30_000);
});

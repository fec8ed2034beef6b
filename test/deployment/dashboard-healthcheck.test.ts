import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import { loadDashboardConfig, type RunningDashboard, startDashboard } from '@fleet/dashboard';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from './helpers/repo.js';

const HEALTHCHECK = repoPath('dashboard/dist/healthcheck.js');

function healthcheck(env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, [HEALTHCHECK], {
    env: { PATH: process.env.PATH, ...env },
    stdio: 'ignore',
  });
  return new Promise((resolve) => child.once('exit', resolve));
}

describe("the dashboard image's health check (node dashboard/dist/healthcheck.js)", () => {
  let broker: BrokerHandle;
  let dir: string;
  let running: RunningDashboard | undefined;
  let port: number;

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await mkdtemp(join(tmpdir(), 'dashboard-health-'));
    port = await freePort();
    const config = loadDashboardConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
      DATA_DIR: dir,
    });
    running = await startDashboard(config, { logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await running?.stop();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 while the dashboard answers, and still during a broker outage', async () => {
    expect(await healthcheck({ PORT: String(port) })).toBe(0);
    await broker.stop();
    expect(await healthcheck({ PORT: String(port) })).toBe(0);
    await broker.start();
  });

  it('exits 1 when nothing answers on the port, or with HTTPS expected where HTTP answers', async () => {
    expect(await healthcheck({ PORT: String(await freePort()) })).toBe(1);
    expect(await healthcheck({ PORT: String(port), HTTPS_CERT: '/broker/https.crt' })).toBe(1);
  });
});

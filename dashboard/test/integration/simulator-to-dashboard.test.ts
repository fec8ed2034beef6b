import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import {
  type DevicesResponse,
  loadDashboardConfig,
  type RunningDashboard,
  startDashboard,
} from '@fleet/dashboard';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, tempDir } from '../server/fixtures.js';
import { killAll, runService, type Service } from './processes.js';

const SIMULATOR_ENTRY = fileURLToPath(new URL('../../../edge/dist/simulator/main.js', import.meta.url));
const built = existsSync(SIMULATOR_ENTRY);
if (!built)
  console.warn(
    `Skipping the simulator-to-dashboard test: ${SIMULATOR_ENTRY} is missing; run \`npx tsc -b edge\`.`,
  );

/** `npm run simulate`'s devices, through a real broker, listed by the dashboard. */
describe.skipIf(!built)('simulated devices and the dashboard', () => {
  let broker: BrokerHandle;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let running: RunningDashboard;
  let base: string;
  let simulator: Service;

  beforeAll(async () => {
    broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await tempDir();
    const port = await freePort();
    running = await startDashboard(
      loadDashboardConfig({
        PORT: String(port),
        HOST: '127.0.0.1',
        MQTT_BROKER: broker.host,
        MQTT_PORT: String(broker.port),
        MQTT_CLIENT_ID: `dashboard-${randomUUID()}`,
        DATA_DIR: `${dir.path}/dashboard`,
      }),
      { logger: pino({ level: 'silent' }) },
    );
    base = `http://127.0.0.1:${port}`;
    simulator = runService(SIMULATOR_ENTRY, {
      MQTT_BROKER: broker.host,
      MQTT_PORT: String(broker.port),
    });
  });
  afterAll(async () => {
    if (simulator) {
      const code = await Promise.race([
        simulator.stop(),
        new Promise((r) => setTimeout(() => r('timeout'), 10_000)),
      ]);
      if (code === 'timeout') await killAll([simulator]);
    }
    await running?.stop();
    await broker?.stop();
    await dir?.remove();
  });

  it('lists every simulated device, online, with its readings', async () => {
    // The default fleet: ten devices, sim-00001 … sim-00010.
    const ids = Array.from({ length: 10 }, (_, index) => `sim-${String(index + 1).padStart(5, '0')}`);
    const devices = await eventually(
      async () => {
        const body = (await (await fetch(`${base}/api/devices`)).json()) as DevicesResponse;
        const online = body.devices.filter((device) => device.online && device.latest !== null);
        return online.length === ids.length ? body.devices : undefined;
      },
      20_000,
      () =>
        `ten simulated devices online in /api/devices (simulator: ${simulator.lines.slice(-3).join(' | ')})`,
    );
    expect(devices.map((device) => device.device_id).sort()).toEqual(ids);
    expect(devices[0]).toMatchObject({
      firmware: 'v1.0.0',
      sensor: expect.objectContaining({ source: 'synthetic' }),
    });
  });
});

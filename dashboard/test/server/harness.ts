import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AccessOptions,
  buildDashboard,
  type Dashboard,
  type DashboardDeps,
  defaultWebPaths,
  MqttBrokerConnection,
  type TelemetryStore,
  type WebPaths,
} from '@fleet/dashboard';
import { type Logger, Topics } from '@fleet/shared';
import { ManualClock, openStore, quietLogger, tempDir } from './fixtures.js';

export interface Harness {
  dashboard: Dashboard;
  store: TelemetryStore;
  broker: MqttBrokerConnection;
  clock: ManualClock;
  webPaths: WebPaths;
  /**
   * Feeds a message to the ingest as if the broker had delivered it; resolves once it is committed (an API
   * request commits what waits first, so a test may also just read).
   */
  deliver(topic: string, payload: unknown, retain?: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Page files of a test: an index.html and a compiled script, in a temporary folder. */
async function testWebPaths(dir: string): Promise<WebPaths> {
  const staticDir = join(dir, 'static');
  const scriptsDir = join(dir, 'scripts');
  await mkdir(staticDir, { recursive: true });
  await mkdir(scriptsDir, { recursive: true });
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Fleet test page</title>');
  await writeFile(join(staticDir, 'style.css'), 'body { margin: 0 }');
  await writeFile(join(scriptsDir, 'main.js'), 'export const page = 1;');
  const { chartJs, chartAdapter } = defaultWebPaths();
  return { staticDir, scriptsDir, chartJs, chartAdapter };
}

/**
 * A dashboard on a fresh database, with a broker connection to `broker` (a real test broker). The
 * connection is started only when `connect` is true; otherwise the dashboard sees the broker as down.
 */
export async function startHarness(
  options: {
    broker?: { host: string; port: number };
    connect?: boolean;
    /** Logins and the guards; default: logins off, nothing else set. */
    access?: Partial<AccessOptions>;
    /** Default: silent. */
    logger?: Logger;
  } & Pick<
    Partial<DashboardDeps>,
    | 'heartbeatMs'
    | 'newCommandId'
    | 'server'
    | 'topics'
    | 'retryInitialMs'
    | 'eventStreamMaxClients'
    | 'fleetIntervalMs'
    | 'commandWaitsMax'
    | 'alerts'
  > = {},
): Promise<Harness> {
  const dir = await tempDir();
  const store = openStore(dir.path);
  const clock = new ManualClock(Date.parse('2025-03-01T12:00:00Z'));
  const topics = options.topics ?? new Topics();
  const broker = new MqttBrokerConnection({
    topics,
    transport: {
      host: options.broker?.host ?? '127.0.0.1',
      port: options.broker?.port ?? 1,
      protocol: 'mqtt',
    },
    clientId: `dashboard-test-${randomUUID()}`,
    logger: quietLogger(),
    initialReconnectMs: 100,
    maxReconnectMs: 500,
  });
  const webPaths = await testWebPaths(dir.path);
  const dashboard = await buildDashboard({
    store,
    broker,
    topics,
    logger: options.logger ?? quietLogger(),
    clock,
    webPaths,
    access: {
      auth: 'off',
      sessionHours: 12,
      allowedHosts: [],
      certNames: [],
      corsOrigins: [],
      machineName: 'fleet-test-host',
      ...options.access,
    },
    ...(options.server ? { server: options.server } : {}),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.newCommandId ? { newCommandId: options.newCommandId } : {}),
    ...(options.retryInitialMs ? { retryInitialMs: options.retryInitialMs } : {}),
    ...(options.eventStreamMaxClients ? { eventStreamMaxClients: options.eventStreamMaxClients } : {}),
    ...(options.fleetIntervalMs ? { fleetIntervalMs: options.fleetIntervalMs } : {}),
    ...(options.commandWaitsMax ? { commandWaitsMax: options.commandWaitsMax } : {}),
    ...(options.alerts ? { alerts: options.alerts } : {}),
  });
  if (options.connect) {
    broker.start();
    const deadline = Date.now() + 10_000;
    while (!broker.connected) {
      if (Date.now() > deadline) throw new Error('The dashboard did not connect to the test broker.');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return {
    dashboard,
    store,
    broker,
    clock,
    webPaths,
    deliver: (topic, payload, retain = false) =>
      dashboard.ingest.handle({
        topic,
        payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
        retain,
      }),
    close: async () => {
      await dashboard.app.close();
      await broker.stop();
      dashboard.dispose();
      store.close();
      await dir.remove();
    },
  };
}

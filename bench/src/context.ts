import { join } from 'node:path';
import type { BrokerHandle } from '@fleet/cloud';
import { freePort } from '@fleet/cloud';
import mqtt from 'mqtt';
import { DashboardProcess } from './dashboard-process.js';
import type { BenchOptions } from './options.js';

/** What every measurement gets: the options, the one broker of the run, a scratch folder, and a place for notes. */
export interface BenchContext {
  options: BenchOptions;
  broker: BrokerHandle;
  /** A temporary folder of this run, removed at the end. */
  workDir: string;
  /** Caveats that go with the results (a protocol not there yet, a broker that dropped messages…). */
  notes: string[];
  /** A progress line (stderr). */
  progress(text: string): void;
}

/** Starts the compiled dashboard on a free port against the run's broker, its database in `dataDir`. */
export async function startDashboard(
  context: BenchContext,
  name: string,
  options: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<DashboardProcess> {
  const dashboard = new DashboardProcess({
    brokerPort: context.broker.port,
    httpPort: await freePort('127.0.0.1'),
    dataDir: options.dataDir ?? join(context.workDir, name),
    clientId: `bench-dashboard-${name}`,
    ...(options.env ? { env: options.env } : {}),
  });
  try {
    await dashboard.waitForLine(/Dashboard listening on/, 120_000, 'that it listens');
    await dashboard.healthy();
  } catch (error) {
    await dashboard.stop();
    throw error;
  }
  return dashboard;
}

/**
 * Stops a dashboard and removes its persistent session from the broker (a clean-session connection under
 * its client id): an away session would go on queuing what later measurements publish, and slow the broker.
 */
export async function stopDashboard(context: BenchContext, dashboard: DashboardProcess): Promise<void> {
  await dashboard.stop();
  const client = await mqtt.connectAsync(context.broker.url, {
    clientId: dashboard.clientId,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  await client.endAsync();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import type { DevicesResponse, HealthResponse } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import {
  DASHBOARD_ENTRY,
  dashboardBuilt,
  eachLine,
  runService,
  type Service,
} from '../integration/processes.js';
import { eventually, tempDir } from '../server/fixtures.js';

/** Why a drill cannot run on this machine, said once on the console; null when it can. */
export function drillSkipReason(drill: string, needs: { root?: boolean } = {}): string | null {
  const reason =
    needs.root && process.getuid?.() !== 0
      ? 'it mounts a size-limited tmpfs, which needs root (CI runs as root)'
      : !dashboardBuilt()
        ? `${DASHBOARD_ENTRY} is missing; run \`npx tsc -b dashboard\``
        : null;
  if (reason) console.warn(`Skipping ${drill}: ${reason}.`);
  return reason;
}

export interface DrillStack {
  broker: BrokerHandle;
  dashboard: DashboardProcess;
  /** The temporary folder of the file's drills. */
  tmp: string;
}

/**
 * A real Mosquitto (the test broker), a temporary folder and a dashboard process on it, for the drills of
 * one file: made in beforeAll, killed and removed in afterAll (`beforeRemove` runs between, e.g. an unmount).
 */
export function drillStack(
  options: {
    extraEnv?: Record<string, string>;
    /** The dashboard's DATA_DIR; default `<tmp>/dashboard`. */
    dataDir?: (tmp: string) => Promise<string>;
    beforeRemove?: () => Promise<unknown>;
  } = {},
): DrillStack {
  const stack = {} as DrillStack;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  beforeAll(async () => {
    stack.broker = await startTestBroker({ logger: pino({ level: 'silent' }) });
    dir = await tempDir();
    stack.tmp = dir.path;
    const dataDir = options.dataDir ? await options.dataDir(dir.path) : join(dir.path, 'dashboard');
    stack.dashboard = new DashboardProcess(stack.broker, dataDir, options.extraEnv);
  });
  afterAll(async () => {
    await stack.dashboard?.kill();
    await options.beforeRemove?.();
    await stack.broker?.stop();
    await dir?.remove();
  });
  return stack;
}

/** A contract 2 reading, taken now unless told otherwise. */
export function reading(deviceId: string, seq: number, overrides: Partial<Telemetry> = {}): Telemetry {
  return {
    v: 2,
    device_id: deviceId,
    timestamp: new Date().toISOString(),
    temperature: 20 + (seq % 50) / 10,
    humidite: 45,
    pression: 1013,
    batterie: 90,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: false,
    uptime: seq,
    seq,
    source: 'synthetic',
    epoch: `epoch-${deviceId}`,
    clock_synced: true,
    ...overrides,
  };
}

/**
 * The compiled dashboard (`node dashboard/dist/main.js`) as a process of its own, on a data folder and a
 * persistent MQTT session that outlive it: `start()` again after `kill()` is the same dashboard restarted.
 */
export class DashboardProcess {
  service: Service | null = null;
  readonly clientId = `dashboard-${randomUUID()}`;
  /** Every line every run printed, for the failure messages. */
  readonly lines: string[] = [];
  private port = 0;

  constructor(
    private readonly broker: BrokerHandle,
    readonly dataDir: string,
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get databasePath(): string {
    return join(this.dataDir, 'dashboard.sqlite');
  }

  /** Starts it and waits until it answers HTTP (`healthy`: until /healthz says 200). */
  async start(options: { healthy?: boolean } = { healthy: true }): Promise<void> {
    this.port ||= await freePort();
    const service = runService(DASHBOARD_ENTRY, {
      PORT: String(this.port),
      HOST: '127.0.0.1',
      MQTT_BROKER: this.broker.host,
      MQTT_PORT: String(this.broker.port),
      MQTT_CLIENT_ID: this.clientId,
      DATA_DIR: this.dataDir,
      HISTORY_DAYS: '30',
      ...this.extraEnv,
    });
    this.service = service;
    eachLine(service.child.stdout, (line) => this.lines.push(line));
    await eventually(
      async () => {
        const response = await fetch(`${this.base}/healthz`).catch(() => null);
        return options.healthy === false ? response !== null : response?.status === 200;
      },
      30_000,
      () => `the dashboard to answer (last lines: ${service.lines.slice(-3).join(' | ')})`,
    );
  }

  /** SIGKILL: no clean stop, no flush; what the process had not committed is gone. */
  async kill(): Promise<void> {
    const service = this.service;
    if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
    service.child.kill('SIGKILL');
    await service.exited;
  }

  async stop(): Promise<number | string | undefined> {
    return this.service?.stop();
  }

  async health(): Promise<{ status: number; body: HealthResponse }> {
    const response = await fetch(`${this.base}/healthz`);
    return { status: response.status, body: (await response.json()) as HealthResponse };
  }

  async devices(): Promise<DevicesResponse['devices']> {
    return ((await (await fetch(`${this.base}/api/devices`)).json()) as DevicesResponse).devices;
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.base}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
}

/** Reads the dashboard's database file from another connection (WAL: only what was committed). */
export function inDatabase<T>(path: string, query: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return query(db);
  } finally {
    db.close();
  }
}

/** Readings committed so far (0 while the file does not exist yet). */
export function storedCount(path: string): number {
  try {
    return inDatabase(
      path,
      (db) => (db.prepare('SELECT COALESCE(SUM(received), 0) AS n FROM delivery').get() as { n: number }).n,
    );
  } catch {
    return 0;
  }
}

/** Per device: rows, distinct seqs, lowest and highest seq, and the delivery figures' lost and conflicts. */
export function perDevice(path: string) {
  return inDatabase(
    path,
    (db) =>
      db
        .prepare(
          `SELECT t.device_id, COUNT(*) AS rows, COUNT(DISTINCT t.seq) AS seqs, MIN(t.seq) AS first, MAX(t.seq) AS last
           FROM telemetry t GROUP BY t.device_id ORDER BY t.device_id`,
        )
        .all() as Array<{ device_id: string; rows: number; seqs: number; first: number; last: number }>,
  );
}

/** A device's MQTT client (a real one, through the broker). */
export async function deviceClient(broker: BrokerHandle, deviceId: string): Promise<MqttClient> {
  return mqtt.connectAsync(broker.url, { clientId: `drill-${deviceId}-${randomUUID()}`, clean: true });
}

/**
 * Publishes readings at QoS 1, `window` at a time, each awaited until the broker's PUBACK: when it resolves,
 * the broker has every reading.
 */
export async function publishReadings(
  client: MqttClient,
  list: readonly Telemetry[],
  window = 50,
  /** A pause after each window, so that publishing takes at least (windows × pauseMs): a pace the drill sets. */
  pauseMs = 0,
): Promise<void> {
  for (let i = 0; i < list.length; i += window) {
    if (i > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await Promise.all(
      list
        .slice(i, i + window)
        .map((r) => client.publishAsync(`devices/${r.device_id}/data`, JSON.stringify(r), { qos: 1 })),
    );
  }
}

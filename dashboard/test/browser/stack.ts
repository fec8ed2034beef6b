import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, freePort, startTestBroker } from '@fleet/cloud';
import type { DeviceSummary, DevicesResponse } from '../../src/api-types.js';
import { DASHBOARD_MAIN, EDGE_MAIN, missingBuilds, Service, waitFor } from './services.js';

export interface FleetStackOptions {
  /** More variables for the dashboard (AUTH, DASHBOARD_ADMIN_USER, …). */
  dashboardEnv?: Record<string, string>;
}

/**
 * The whole system on free ports: a real broker, the compiled dashboard and one synthetic device (started
 * separately, so a test can watch it arrive). Each has its own temporary data folder.
 */
export class FleetStack {
  broker!: BrokerHandle;
  device!: Service;
  dashboard!: Service;
  /** `http://127.0.0.1:<port>` of the dashboard. */
  base = '';
  private tmp = '';

  constructor(
    readonly deviceId: string,
    private readonly options: FleetStackOptions = {},
  ) {}

  /** The dashboard's DATA_DIR (its SQLite file is dashboard.sqlite in it). */
  get dashboardDataDir(): string {
    return join(this.tmp, 'dashboard');
  }

  async start(): Promise<void> {
    const missing = missingBuilds();
    if (missing.length > 0) {
      throw new Error(
        `The browser tests run the compiled services, and ${missing.join(', ')} is missing: run "npm run build" ` +
          '(or "npx tsc -b edge dashboard dashboard/web") first.',
      );
    }
    this.tmp = await mkdtemp(join(tmpdir(), 'dashboard-browser-'));
    await mkdir(join(this.tmp, 'edge'));
    await mkdir(join(this.tmp, 'dashboard'));
    this.broker = await startTestBroker();
    const port = await freePort('127.0.0.1');
    this.base = `http://127.0.0.1:${port}`;
    const mqtt = { MQTT_BROKER: '127.0.0.1', MQTT_PORT: String(this.broker.port) };
    this.dashboard = new Service('dashboard', DASHBOARD_MAIN, {
      ...mqtt,
      PORT: String(port),
      HOST: '127.0.0.1',
      MQTT_CLIENT_ID: `dashboard-browser-${process.pid}`,
      DATA_DIR: join(this.tmp, 'dashboard'),
      ...this.options.dashboardEnv,
    });
    // The synthetic temperature follows the device's local hour (17 °C at midnight, 27 °C at noon, σ 0.8;
    // TEMP_OFFSET is unset, so no correction is added): a time zone where it is about noon keeps it well above the
    // lowest threshold, whenever the test runs. ALERT_THRESHOLD at the top of its range starts the device
    // without an alert.
    this.device = new Service('device', EDGE_MAIN, {
      ...mqtt,
      DEVICE_ID: this.deviceId,
      SENSOR: 'synthetic',
      DATA_DIR: join(this.tmp, 'edge'),
      PUBLISH_INTERVAL: '1',
      ALERT_THRESHOLD: '45',
      TZ: noonTimeZone(new Date()),
    });
    this.dashboard.start();
  }

  /** Until GET /api/devices answers: its list, or 401 when logins are on. */
  async waitForDashboard(): Promise<void> {
    await waitFor(
      async () => {
        const response = await fetch(`${this.base}/api/devices`);
        return response.ok || response.status === 401;
      },
      20_000,
      this.explain('The dashboard did not answer GET /api/devices within 20 s.'),
    );
  }

  async stop(): Promise<void> {
    await this.device?.stop();
    await this.dashboard?.stop();
    await this.broker?.stop();
    if (this.tmp) await rm(this.tmp, { recursive: true, force: true });
  }

  async getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${this.base}${path}`);
    if (!response.ok) throw new Error(`${path} answered ${response.status}`);
    return (await response.json()) as T;
  }

  /** The device as `GET /api/devices` describes it. */
  async summary(): Promise<DeviceSummary | undefined> {
    const { devices } = await this.getJson<DevicesResponse>('/api/devices');
    return devices.find((device) => device.device_id === this.deviceId);
  }

  /** A failure message with the last lines of both services. */
  explain(what: string): () => string {
    return () =>
      `${what}\n--- device ---\n${this.device?.tail()}\n--- dashboard ---\n${this.dashboard?.tail()}`;
  }
}

/** A fixed-offset time zone in which it is between 11:30 and 12:30 at `now` (Etc/GMT-N is UTC+N). */
export function noonTimeZone(now: Date): string {
  const hoursToNoon = Math.round(12 - (now.getUTCHours() + now.getUTCMinutes() / 60));
  if (hoursToNoon === 0) return 'UTC';
  return hoursToNoon > 0 ? `Etc/GMT-${hoursToNoon}` : `Etc/GMT+${-hoursToNoon}`;
}

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '@fleet/shared';
import type { BrokerHandle } from '../broker-handle.js';
import { startEmbeddedBroker } from '../start-embedded-broker.js';
import { waitForPort } from '../wait-for-port.js';
import type { LauncherOptions } from './args.js';
import { type ChildExit, type ChildOutput, describeExit, type RunningChild, startChild } from './children.js';
import type { EntryPoints } from './paths.js';
import { choosePort, LaunchError } from './ports.js';

/** How long a child has between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 5_000;
/** How long the dashboard has to open its HTTP port. */
const DASHBOARD_START_TIMEOUT_MS = 30_000;

/** What is running, for the banner. */
export interface FleetSummary {
  dashboardUrl: string;
  brokerUrl: string;
  brokerWsUrl: string | null;
  embeddedBroker: boolean;
  deviceIds: string[];
  dataDir: string;
  /** Ports that moved because the default one was taken, in words. */
  notes: string[];
}

export interface FleetDeps {
  options: LauncherOptions;
  entries: EntryPoints;
  /** The environment the children start from (their own variables are set over it). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  output: ChildOutput;
  logger: Logger;
  /** Called once when a child ends while the fleet is not stopping. */
  onUnexpectedExit: (name: string, exit: ChildExit) => void;
}

/** sim-001, sim-002, … */
export function simulatedDeviceIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `sim-${String(index + 1).padStart(3, '0')}`);
}

/** The host name to show in a URL for an address the launcher listens on. */
export function displayHost(host: string): string {
  return host === '127.0.0.1' || host === '0.0.0.0' || host === '::' || host === '::1' ? 'localhost' : host;
}

/**
 * The whole fleet on this machine: an embedded broker (unless an external one is given), the dashboard and
 * the simulated devices as child processes. `start()` brings them up in that order, `stop()` takes them down
 * in the reverse order and can be called at any point, also after a failed `start()`.
 */
export class LocalFleet {
  private broker: BrokerHandle | null = null;
  private readonly children: RunningChild[] = [];
  private stopping = false;
  private readonly killOnExit = () => {
    for (const child of this.children) child.kill();
  };
  private summaryValue: FleetSummary | null = null;

  constructor(private readonly deps: FleetDeps) {}

  get summary(): FleetSummary | null {
    return this.summaryValue;
  }

  /** Makes a `start()` in progress give up at its next step (a stop was asked for meanwhile). */
  abortStart(): void {
    this.stopping = true;
  }

  async start(): Promise<void> {
    const { options, logger } = this.deps;
    process.on('exit', this.killOnExit);
    const notes: string[] = [];
    const taken = new Set<number>();
    const pick = async (choice: LauncherOptions['httpPort'], what: string, label: string) => {
      const port = await choosePort(choice, options.host, what, taken);
      taken.add(port);
      if (port !== choice.port) {
        notes.push(`Port ${choice.port} was taken: ${label} uses ${port}.`);
        logger.info({ wanted: choice.port, port }, `Port ${choice.port} was taken: ${label} uses ${port}`);
      }
      return port;
    };

    let brokerHost: string;
    let brokerPort: number;
    let brokerWsUrl: string | null = null;
    const shownHost = displayHost(options.host);
    if (options.externalBroker) {
      ({ host: brokerHost, port: brokerPort } = options.externalBroker);
      logger.info({ broker: `mqtt://${brokerHost}:${brokerPort}` }, 'Using the broker given by MQTT_BROKER');
    } else {
      const port = await pick(options.mqttPort, 'the embedded MQTT broker', 'the MQTT broker');
      const wsPort = await pick(
        options.wsPort,
        'the embedded MQTT broker (WebSocket)',
        'MQTT over WebSocket',
      );
      this.broker = await startEmbeddedBroker({ port, wsPort, host: options.host, logger });
      brokerHost = this.broker.host;
      brokerPort = port;
      brokerWsUrl = `ws://${shownHost}:${wsPort}`;
    }
    this.throwIfStopping();

    const dataDir = resolve(this.deps.cwd, options.dataDir);
    await mkdir(dataDir, { recursive: true });
    const httpPort = await pick(options.httpPort, 'the dashboard', 'the dashboard');
    const broker = { MQTT_BROKER: brokerHost, MQTT_PORT: String(brokerPort) };
    const dashboard = this.spawn('dashboard', this.deps.entries.dashboard, {
      ...broker,
      PORT: String(httpPort),
      HOST: options.host,
      DATA_DIR: join(dataDir, 'dashboard'),
    });
    await waitForPort(options.host === '0.0.0.0' ? '127.0.0.1' : options.host, httpPort, {
      timeoutMs: DASHBOARD_START_TIMEOUT_MS,
      gaveUp: () => {
        if (this.stopping) return 'Stopped while the dashboard was starting.';
        if (!dashboard.running) return `The dashboard stopped before it listened on port ${httpPort}.`;
        return undefined;
      },
    });
    this.throwIfStopping();

    const deviceIds = simulatedDeviceIds(options.devices);
    for (const id of deviceIds) {
      this.throwIfStopping();
      this.spawn(id, this.deps.entries.edge, {
        ...broker,
        DEVICE_ID: id,
        SENSOR: 'synthetic',
        ALERT_LED_GPIO: 'none',
        DATA_DIR: join(dataDir, id),
      });
    }
    this.summaryValue = {
      dashboardUrl: `http://${shownHost}:${httpPort}`,
      brokerUrl: `mqtt://${options.externalBroker ? brokerHost : shownHost}:${brokerPort}`,
      brokerWsUrl,
      embeddedBroker: this.broker !== null,
      deviceIds,
      dataDir,
      notes,
    };
  }

  /** Devices first (they say goodbye through the broker), then the dashboard, then the broker. */
  async stop(): Promise<void> {
    this.stopping = true;
    const [dashboard, ...devices] = this.children;
    await Promise.all(devices.map((child) => this.stopChild(child)));
    if (dashboard) await this.stopChild(dashboard);
    if (this.broker) {
      await this.broker.stop();
      this.broker = null;
    }
    process.off('exit', this.killOnExit);
  }

  private async stopChild(child: RunningChild): Promise<void> {
    if (!child.running) return;
    const exit = await child.stop(STOP_GRACE_MS);
    this.deps.logger.info(
      { child: child.name, pid: child.pid, ...exit },
      `${child.name} ${describeExit(exit)}`,
    );
  }

  private spawn(name: string, script: string, variables: Record<string, string>): RunningChild {
    const child = startChild(
      { name, script, cwd: this.deps.entries.repoRoot, env: { ...this.deps.env, ...variables } },
      this.deps.output,
    );
    this.children.push(child);
    this.deps.logger.info({ child: name, pid: child.pid, script }, `${name} started`);
    void child.exited.then((exit) => {
      if (this.stopping) return;
      this.deps.logger.error({ child: name, pid: child.pid, ...exit }, `${name} ${describeExit(exit)}`);
      this.deps.onUnexpectedExit(name, exit);
    });
    return child;
  }

  private throwIfStopping(): void {
    if (this.stopping) throw new LaunchError('Stopped while starting.');
  }
}

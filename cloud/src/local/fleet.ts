import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '@fleet/shared';
import { startEmbeddedBroker } from '../start-embedded-broker.js';
import { waitForPort } from '../wait-for-port.js';
import type { LauncherOptions, PortChoice } from './args.js';
import { type ChildOutput, describeExit, type RunningChild, startChild } from './children.js';
import { dashboardLogin } from './dashboard-login.js';
import type { EntryPoints } from './paths.js';
import { choosePort, LaunchError } from './ports.js';
import { startSecureFleetBroker } from './secure-broker.js';

/** How long a child has between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 5_000;
/** How long the dashboard has to open its HTTP port. */
const DASHBOARD_START_TIMEOUT_MS = 30_000;

/** The broker the fleet runs or uses, for the banner. */
export type BrokerSummary =
  /** The anonymous development broker (aedes) in the launcher's process. */
  | { kind: 'embedded'; url: string; wsUrl: string }
  /** The broker MQTT_BROKER names. */
  | { kind: 'external'; url: string }
  /** Mosquitto with the production profile (--secure). */
  | { kind: 'secure'; url: string; caCertPath: string; devicesDir: string; dataDir: string };

/** What is running, for the banner. */
export interface FleetSummary {
  dashboardUrl: string;
  /** The banner's line about logging in to the dashboard. */
  login: string;
  broker: BrokerSummary;
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
  /** Called once when a child (or Mosquitto) ends while the fleet is not stopping: "exited with code 1". */
  onUnexpectedExit: (name: string, description: string) => void;
}

/** How the children reach the broker, and what the banner says of it. */
interface BrokerConnection {
  summary: BrokerSummary;
  /** The variables the children start from: the launcher's, without MQTT_* in secure mode. */
  inherited: NodeJS.ProcessEnv;
  dashboard: Record<string, string>;
  device(id: string): Record<string, string>;
}

/** A port for `what` (`label` in the note when a default one moved), free on `host` (default --host). */
type PickPort = (choice: PortChoice, what: string, label: string, host?: string) => Promise<number>;

/** sim-001, sim-002, … */
export function simulatedDeviceIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `sim-${String(index + 1).padStart(3, '0')}`);
}

/**
 * The environment without MQTT_* variables: in secure mode the children read their connection from their
 * ENV_FILE, and a variable of the environment would win over the file's.
 */
export function withoutMqttVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('MQTT_')));
}

/** The host name to show in a URL for an address the launcher listens on. */
export function displayHost(host: string): string {
  return host === '127.0.0.1' || host === '0.0.0.0' || host === '::' || host === '::1' ? 'localhost' : host;
}

/**
 * The whole fleet on this machine: a broker (the embedded development broker, Mosquitto with the production
 * profile and a credential per device with `secure`, or none when an external one is given), the dashboard
 * and the simulated devices as child processes. `start()` brings them up in that order, `stop()` takes them
 * down in the reverse order and can be called at any point, also after a failed `start()`.
 */
export class LocalFleet {
  private broker: { stop(): Promise<void> } | null = null;
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
    const pick: PickPort = async (choice, what, label, host = options.host) => {
      const port = await choosePort(choice, host, what, taken);
      taken.add(port);
      if (port !== choice.port) {
        notes.push(`Port ${choice.port} was taken: ${label} uses ${port}.`);
        logger.info({ wanted: choice.port, port }, `Port ${choice.port} was taken: ${label} uses ${port}`);
      }
      return port;
    };

    const dataDir = resolve(this.deps.cwd, options.dataDir);
    const deviceIds = simulatedDeviceIds(options.devices);
    const broker = await this.startBroker(dataDir, deviceIds, pick);
    this.throwIfStopping();

    await mkdir(dataDir, { recursive: true });
    const httpPort = await pick(options.httpPort, 'the dashboard', 'the dashboard');
    const login = await dashboardLogin({ secure: options.secure, host: options.host, dataDir });
    const dashboard = this.spawn('dashboard', this.deps.entries.dashboard, broker.inherited, {
      ...broker.dashboard,
      ...login.variables,
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

    for (const id of deviceIds) {
      this.throwIfStopping();
      this.spawn(id, this.deps.entries.edge, broker.inherited, {
        ...broker.device(id),
        DEVICE_ID: id,
        SENSOR: 'synthetic',
        ALERT_LED_GPIO: 'none',
        DATA_DIR: join(dataDir, id),
      });
    }
    this.summaryValue = {
      dashboardUrl: `http://${displayHost(options.host)}:${httpPort}`,
      login: login.banner,
      broker: broker.summary,
      deviceIds,
      dataDir,
      notes,
    };
  }

  /** The broker step: the one MQTT_BROKER names, the production Mosquitto (secure), or the embedded one. */
  private async startBroker(dataDir: string, deviceIds: string[], pick: PickPort): Promise<BrokerConnection> {
    const { options, logger, env } = this.deps;
    if (options.externalBroker) {
      const { host, port } = options.externalBroker;
      logger.info({ broker: `mqtt://${host}:${port}` }, 'Using the broker given by MQTT_BROKER');
      const variables = { MQTT_BROKER: host, MQTT_PORT: String(port) };
      return {
        summary: { kind: 'external', url: `mqtt://${host}:${port}` },
        inherited: env,
        dashboard: variables,
        device: () => variables,
      };
    }
    if (options.secure) {
      // Mosquitto listens on every address (production.conf names none): the port must be free on all.
      const port = await pick(options.mqttPort, 'Mosquitto', 'the MQTT broker', '0.0.0.0');
      const secure = await startSecureFleetBroker({
        dataDir,
        port,
        hostnames: options.brokerHostnames,
        topicRoot: options.topicRoot,
        haDiscoveryPrefix: options.haDiscoveryPrefix,
        deviceIds,
        logger,
        onLine: (line) => this.deps.output.stdout.write(`[mosquitto] ${line}\n`),
        onUnexpectedExit: (description) => {
          if (!this.stopping) this.deps.onUnexpectedExit('mosquitto', description);
        },
      });
      this.broker = secure;
      // As for the other children: its pid, for whoever must clean up after a launcher that was killed.
      logger.info({ child: 'mosquitto', pid: secure.pid }, 'mosquitto started');
      return {
        summary: {
          kind: 'secure',
          url: secure.url,
          caCertPath: secure.caCertPath,
          devicesDir: secure.devicesDir,
          dataDir,
        },
        inherited: withoutMqttVariables(env),
        dashboard: { ENV_FILE: secure.dashboardEnvPath },
        device: (id) => ({ ENV_FILE: secure.deviceEnvPaths.get(id) ?? '' }),
      };
    }
    const port = await pick(options.mqttPort, 'the embedded MQTT broker', 'the MQTT broker');
    const wsPort = await pick(options.wsPort, 'the embedded MQTT broker (WebSocket)', 'MQTT over WebSocket');
    const embedded = await startEmbeddedBroker({ port, wsPort, host: options.host, logger });
    this.broker = embedded;
    const variables = { MQTT_BROKER: embedded.host, MQTT_PORT: String(port) };
    const shownHost = displayHost(options.host);
    return {
      summary: { kind: 'embedded', url: `mqtt://${shownHost}:${port}`, wsUrl: `ws://${shownHost}:${wsPort}` },
      inherited: env,
      dashboard: variables,
      device: () => variables,
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

  private spawn(
    name: string,
    script: string,
    inherited: NodeJS.ProcessEnv,
    variables: Record<string, string>,
  ): RunningChild {
    const child = startChild(
      { name, script, cwd: this.deps.entries.repoRoot, env: { ...inherited, ...variables } },
      this.deps.output,
    );
    this.children.push(child);
    this.deps.logger.info({ child: name, pid: child.pid, script }, `${name} started`);
    void child.exited.then((exit) => {
      if (this.stopping) return;
      this.deps.logger.error({ child: name, pid: child.pid, ...exit }, `${name} ${describeExit(exit)}`);
      this.deps.onUnexpectedExit(name, describeExit(exit));
    });
    return child;
  }

  private throwIfStopping(): void {
    if (this.stopping) throw new LaunchError('Stopped while starting.');
  }
}

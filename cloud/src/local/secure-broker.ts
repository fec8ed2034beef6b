import { existsSync } from 'node:fs';
import type { BrokerLogger } from '../broker-handle.js';
import { adminConnection } from '../fleet/connect-options.js';
import { clientVariables, deviceEnvDir, provisionDevices } from '../fleet/device-env.js';
import { DynsecAdmin } from '../fleet/dynsec-admin.js';
import { secureLayout } from '../secure/layout.js';
import { startSecureMosquitto } from '../secure/start-secure-mosquitto.js';
import { MOSQUITTO_BINARY } from '../start-mosquitto.js';
import { LaunchError } from './ports.js';

export interface SecureFleetBrokerOptions {
  /** The launcher's data folder D (absolute): Mosquitto uses D/broker/ and D/secure/. */
  dataDir: string;
  /** The TLS listener's port (already chosen free). */
  port: number;
  /** BROKER_HOSTNAMES: the names devices on other machines use; the first one goes into the env files. */
  hostnames: readonly string[];
  /** MQTT_TOPIC_ROOT: the ACLs and the env files follow it. */
  topicRoot: string;
  /** HA_DISCOVERY_PREFIX: the dashboard's and Home Assistant's ACLs follow it; default `homeassistant`. */
  haDiscoveryPrefix?: string;
  /** The simulated devices to give a credential and an env file. */
  deviceIds: readonly string[];
  logger: BrokerLogger;
  /** Each line Mosquitto writes. */
  onLine: (line: string) => void;
  /** Mosquitto exited by itself while it served, e.g. "exited with code 1". */
  onUnexpectedExit: (description: string) => void;
  /** default /usr/sbin/mosquitto */
  binary?: string;
}

/** The production broker of `npm start -- --secure`, with what its clients need. */
export interface SecureFleetBroker {
  /** mqtts://<name>:port: the name the env files give (the first of BROKER_HOSTNAMES, else localhost). */
  url: string;
  port: number;
  /** D/secure/ca.crt: the CA a client outside trusts. */
  caCertPath: string;
  /** D/secure/devices/: one <id>.env per device. */
  devicesDir: string;
  /** D/secure/dashboard.env: the dashboard's ENV_FILE. */
  dashboardEnvPath: string;
  /** Each simulated device's ENV_FILE: D/secure/devices/<id>.env. */
  deviceEnvPaths: ReadonlyMap<string, string>;
  /** Mosquitto's process id while it runs. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts Debian's Mosquitto with the production profile in `dataDir` (a generated CA and server
 * certificate, the env files, dynamic security), then gives each simulated device its own credential as
 * fleet-admin: a device that has one from an earlier run on the same folder keeps it. A failure after
 * Mosquitto started stops it again. Without Mosquitto, a LaunchError that says how to install it, and
 * nothing is started or written.
 */
export async function startSecureFleetBroker(options: SecureFleetBrokerOptions): Promise<SecureFleetBroker> {
  const binary = options.binary ?? MOSQUITTO_BINARY;
  if (!existsSync(binary)) {
    throw new LaunchError(
      `npm start -- --secure runs Debian's Mosquitto from ${binary}, which is not installed; install it with: sudo apt-get install mosquitto.`,
    );
  }
  const broker = await startSecureMosquitto({
    dataDir: options.dataDir,
    port: options.port,
    hostnames: options.hostnames,
    topicRoot: options.topicRoot,
    haDiscoveryPrefix: options.haDiscoveryPrefix,
    logger: options.logger,
    binary,
    onLine: options.onLine,
    onUnexpectedExit: options.onUnexpectedExit,
    detached: true,
  });
  try {
    const deviceEnvPaths = await provision(options.dataDir, options.deviceIds);
    options.logger.info(
      { devices: options.deviceIds.length, dataDir: options.dataDir },
      `${options.deviceIds.length} device credentials ready in ${deviceEnvDir(options.dataDir)}`,
    );
    const layout = secureLayout(options.dataDir);
    return {
      url: `mqtts://${hostForUrl(options.hostnames[0] ?? 'localhost')}:${broker.port}`,
      port: broker.port,
      caCertPath: layout.caCert,
      devicesDir: deviceEnvDir(options.dataDir),
      dashboardEnvPath: broker.dashboardEnvPath,
      deviceEnvPaths,
      get pid() {
        return broker.pid;
      },
      stop: () => broker.stop(),
    };
  } catch (error) {
    await broker.stop();
    throw error;
  }
}

/**
 * A credential and an env file per device, as fleet-admin with D/secure/broker-admin.env alone: the MQTT_*
 * variables of the launcher's environment are not the administrator's.
 */
async function provision(dataDir: string, ids: readonly string[]): Promise<Map<string, string>> {
  const connection = await adminConnection(dataDir, {});
  const admin = await DynsecAdmin.connect({ ...connection.options, topics: connection.topics });
  try {
    const client = await clientVariables(dataDir, connection);
    return await provisionDevices(admin, dataDir, client, ids);
  } finally {
    await admin.close();
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

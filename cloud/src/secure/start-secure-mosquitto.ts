import { existsSync } from 'node:fs';
import { HaTopics, Topics } from '@fleet/shared';
import { pino } from 'pino';
import { type BrokerLogger, serializeLifecycle } from '../broker-handle.js';
import { freePort } from '../free-port.js';
import { MosquittoProcess } from '../mosquitto-process.js';
import type { BrokerCertificate } from './certificates.js';
import { renderProductionConf, setupSecureBroker } from './setup.js';

/** Where Debian (and CI, with `apt-get install mosquitto`) puts the broker. */
const DEBIAN_MOSQUITTO = '/usr/sbin/mosquitto';

export interface SecureMosquittoOptions {
  /** The data folder D (e.g. .data): D/broker/ and D/secure/ are made in it and kept across runs. */
  dataDir: string;
  /** The TLS listener's port; default a free one. */
  port?: number;
  /** Names or addresses devices on other machines use (BROKER_HOSTNAMES); added to the certificate. */
  hostnames?: readonly string[];
  /** A folder with a certificate of your own (server.crt, server.key, optionally ca.crt). */
  certsDir?: string;
  /** MQTT_TOPIC_ROOT: the roles' ACLs and the env files follow it; default `devices`. */
  topicRoot?: string;
  /** HA_DISCOVERY_PREFIX: the dashboard's and homeassistant's ACLs follow it; default `homeassistant`. */
  haDiscoveryPrefix?: string;
  logger?: BrokerLogger;
  /** default /usr/sbin/mosquitto */
  binary?: string;
  /** default cloud/mosquitto/production.conf */
  confPath?: string;
  /** How long to wait for the listener; default 10 s. */
  startTimeoutMs?: number;
  /** Each line Mosquitto writes; default: logged at debug level. */
  onLine?: (line: string) => void;
  /** Called when Mosquitto exits by itself while it serves (not on `stop()`), e.g. "exited with code 1". */
  onUnexpectedExit?: (description: string) => void;
  /** Mosquitto in its own process group, out of reach of the terminal's Ctrl-C (see MosquittoProcess). */
  detached?: boolean;
}

/** The production broker running on this machine. */
export interface SecureBrokerHandle {
  kind: 'mosquitto';
  host: string;
  port: number;
  /** `mqtts://127.0.0.1:port` */
  url: string;
  /** Mosquitto's process id while it runs. */
  readonly pid: number | undefined;
  /** The CA to trust (a mounted certificate from a public CA has none). */
  caCertPem: string | undefined;
  certificate: BrokerCertificate;
  /** D/secure/broker-admin.env, D/secure/dashboard.env and D/secure/client.env. */
  adminEnvPath: string;
  dashboardEnvPath: string;
  clientEnvPath: string;
  /** Stops Mosquitto; sessions, retained messages and credentials are kept for `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Runs Debian's Mosquitto with cloud/mosquitto/production.conf (TLS, dynamic security, the production
 * limits), after the same setup the container does (at every `start()`): TLS material, env files and the
 * dynamic security file in `dataDir`. Resolves once the TLS listener accepts connections.
 */
export async function startSecureMosquitto(options: SecureMosquittoOptions): Promise<SecureBrokerHandle> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const binary = options.binary ?? DEBIAN_MOSQUITTO;
  if (!existsSync(binary)) {
    throw new Error(
      `The secure broker needs Mosquitto at ${binary}, which is not installed; install it with: sudo apt-get install mosquitto.`,
    );
  }
  const port = options.port ?? (await freePort());
  // Run at every start: a password changed in an env file, or a new certificate name, applies then.
  const prepare = async () => {
    const setup = await setupSecureBroker({
      dataDir: options.dataDir,
      port,
      hostnames: options.hostnames ?? [],
      topics: new Topics(options.topicRoot),
      ha: new HaTopics(options.haDiscoveryPrefix),
      certsDir: options.certsDir,
    });
    const rendered = await renderProductionConf(setup.layout, {
      port,
      ...(options.confPath ? { sourcePath: options.confPath } : {}),
    });
    return { setup, rendered };
  };
  let { setup, rendered } = await prepare();
  const host = '127.0.0.1';
  const url = `mqtts://${host}:${port}`;
  const broker = new MosquittoProcess({
    binary,
    confPath: rendered.confPath,
    sourceConfPath: options.confPath ?? 'cloud/mosquitto/production.conf',
    host,
    ports: [port],
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    logger,
    readyFromOutput: true,
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.onUnexpectedExit ? { onUnexpectedExit: options.onUnexpectedExit } : {}),
    detached: options.detached === true,
  });
  let first = true;
  const startOnce = async () => {
    if (!first) ({ setup, rendered } = await prepare());
    first = false;
    await broker.start();
    logger.info(
      { broker: 'mosquitto', url, dataDir: options.dataDir, pid: broker.pid },
      'Secure Mosquitto started',
    );
  };
  const stopOnce = async () => {
    await broker.stop();
    logger.info({ broker: 'mosquitto', url }, 'Secure Mosquitto stopped');
  };
  await startOnce();
  const { layout } = setup;
  return {
    kind: 'mosquitto',
    host,
    port,
    url,
    get pid() {
      return broker.pid;
    },
    get caCertPem() {
      return setup.caCertPem;
    },
    get certificate() {
      return setup.certificate;
    },
    adminEnvPath: layout.adminEnv,
    dashboardEnvPath: layout.dashboardEnv,
    clientEnvPath: layout.clientEnv,
    ...serializeLifecycle(startOnce, stopOnce, () => broker.running),
  };
}

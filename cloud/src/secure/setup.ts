import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HaTopics, Topics } from '@fleet/shared';
import {
  defaultMosquittoConfPath,
  findDynsecPlugin,
  IMAGE_DATA_DIR,
  mosquittoListeners,
  rewriteMosquittoConf,
} from '../mosquitto-config.js';
import { type BrokerCertificate, prepareCertificates } from './certificates.js';
import { writeDynsecConfig } from './dynsec-config.js';
import { writeEnvFiles } from './env-files.js';
import {
  assertReachable,
  type BrokerUser,
  brokerRunAs,
  chownIfExists,
  ensureDir,
  type FileOwner,
  writeFileAtomic,
} from './file-access.js';
import { type SecureLayout, secureLayout } from './layout.js';

export interface SecureSetupOptions {
  /** The data folder D: /mosquitto/data in the image. */
  dataDir: string;
  /** The port the broker listens on, written in the env files. */
  port: number;
  /** BROKER_HOSTNAMES: names or addresses devices use; the first one goes in client.env. */
  hostnames: readonly string[];
  /** The fleet's topics (MQTT_TOPIC_ROOT): the ACLs of the service and device roles follow them. */
  topics: Topics;
  /** Home Assistant's discovery topics (HA_DISCOVERY_PREFIX): the dashboard's and homeassistant's ACLs follow them. */
  ha?: HaTopics;
  /** A folder that may hold the user's own certificate (CERTS_DIR). */
  certsDir?: string | undefined;
  /** The host broker-admin.env names; default 127.0.0.1. */
  adminHost?: string;
  /** The host dashboard.env names; default 127.0.0.1 (`mosquitto` in the image). */
  dashboardHost?: string;
  /** A folder for a copy of dashboard.env (SHARED_DIR in the image) and that copy's owner. */
  sharedDir?: string | undefined;
  sharedOwner?: FileOwner | undefined;
  /** Default: the user Mosquitto drops to when this process is root, else none. */
  runAs?: BrokerUser | undefined;
  /** The machine's host name, one of the certificate's names; default os.hostname(). */
  hostName?: string;
  now?: Date;
}

export interface SecureSetup {
  layout: SecureLayout;
  port: number;
  certificate: BrokerCertificate;
  /** The CA clients trust (base64 of it is MQTT_CA_CERT), or undefined for a publicly signed mounted one. */
  caCertPem: string | undefined;
  runAs: BrokerUser | undefined;
}

/**
 * Everything the production profile needs before Mosquitto starts, the same in the image and outside it:
 * D/broker/ (owned by the user Mosquitto runs as), the TLS material and the env files in D/secure/, and
 * the dynamic security file, whose service roles and passwords are made to match the code and the env
 * files while device clients and roles are kept.
 */
export async function setupSecureBroker(options: SecureSetupOptions): Promise<SecureSetup> {
  const layout = secureLayout(options.dataDir);
  const runAs = 'runAs' in options ? options.runAs : brokerRunAs();
  await ensureDir(layout.dataDir, 0o755);
  await ensureDir(layout.brokerDir, 0o700, runAs);
  await ensureDir(layout.secureDir, 0o755);
  if (runAs) {
    await assertReachable(layout.serverKey, runAs);
    // Files of an earlier run (another image's Mosquitto user) must be the current user's too.
    for (const name of await readdir(layout.brokerDir))
      await chownIfExists(join(layout.brokerDir, name), runAs);
  }
  const certificate = await prepareCertificates({
    layout,
    hostnames: options.hostnames,
    certsDir: options.certsDir,
    runAs,
    ...(options.hostName === undefined ? {} : { hostName: options.hostName }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const caCertPem = certificate.caCertPem;
  // Before dashboard.env, which the dashboard waits for: once it is there, so are these.
  if (options.sharedDir) await shareHttpsCertificate(layout, options.sharedDir, options.sharedOwner);
  const passwords = await writeEnvFiles({
    layout,
    port: options.port,
    caCertPem,
    serverName: certificate.kind === 'mounted' ? certificate.serverName : undefined,
    adminHost: options.adminHost ?? '127.0.0.1',
    dashboardHost: options.dashboardHost ?? '127.0.0.1',
    clientHost: options.hostnames[0] ?? 'localhost',
    topicRoot: options.topics.root,
    sharedDir: options.sharedDir,
    sharedOwner: options.sharedOwner,
  });
  await writeDynsecConfig(layout.dynsecConfig, passwords, options.topics, runAs, options.ha);
  return { layout, port: options.port, certificate, caCertPem, runAs };
}

export interface RenderedConf {
  /** The file to run: the source itself when nothing had to change, else D/broker/mosquitto.conf. */
  confPath: string;
  /** The port of its MQTT listener. */
  port: number;
}

/** The port of the one `protocol mqtt` listener of a configuration; throws when there is not exactly one. */
export function mqttListenerPort(text: string, source: string): number {
  const tcp = mosquittoListeners(text).filter((listener) => listener.protocol === 'mqtt');
  const [listener] = tcp;
  if (!listener || tcp.length > 1) {
    throw new Error(`${source} has ${tcp.length} MQTT listeners; accepted: exactly one.`);
  }
  return listener.port;
}

/**
 * production.conf as this machine runs it: the listener port (when given), the /mosquitto/data/ prefix
 * (when D is elsewhere) and the plugin path (the plugin found here) changed, nothing else. In the image
 * with the default folders nothing changes, and the shipped file itself runs.
 */
export async function renderProductionConf(
  layout: SecureLayout,
  options: { port?: number; sourcePath?: string; pluginPath?: string } = {},
): Promise<RenderedConf> {
  const sourcePath = options.sourcePath ?? defaultMosquittoConfPath('production');
  const source = await readFile(sourcePath, 'utf8');
  const sameFolder = `${layout.dataDir.replace(/\/+$/, '')}/` === IMAGE_DATA_DIR;
  const text = rewriteMosquittoConf(source, {
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(sameFolder ? {} : { dataDir: layout.dataDir }),
    pluginPath: options.pluginPath ?? findDynsecPlugin(),
  });
  const port = mqttListenerPort(text, sourcePath);
  if (text === source) return { confPath: sourcePath, port };
  // Read by Mosquitto before it drops privileges: it may stay this user's.
  await writeFileAtomic(layout.renderedConf, text, 0o644);
  return { confPath: layout.renderedConf, port };
}

/** The files the dashboard serves HTTPS with, in the folder shared with its container. */
export const SHARED_HTTPS_CERT = 'https.crt';
export const SHARED_HTTPS_KEY = 'https.key';

/**
 * The broker's server certificate and key, copied for the dashboard (owned by its image's user): the
 * dashboard is reached by the same names as the broker, so it serves HTTPS with the same certificate.
 */
async function shareHttpsCertificate(
  layout: SecureLayout,
  sharedDir: string,
  owner?: FileOwner,
): Promise<void> {
  await ensureDir(sharedDir, 0o755);
  await writeFileAtomic(
    join(sharedDir, SHARED_HTTPS_CERT),
    await readFile(layout.serverCert, 'utf8'),
    0o644,
    owner,
  );
  await writeFileAtomic(
    join(sharedDir, SHARED_HTTPS_KEY),
    await readFile(layout.serverKey, 'utf8'),
    0o600,
    owner,
  );
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatEnvFile, HaTopics, Topics } from '@fleet/shared';
import { IMAGE_DATA_DIR, mosquittoListeners, rewriteMosquittoConf } from '../mosquitto-config.js';
import { BASE_SERVER_NAMES, type BrokerCertificate } from '../secure/certificates.js';
import {
  type BrokerUser,
  brokerRunAs,
  chownIfExists,
  DASHBOARD_IMAGE_USER,
  ensureDir,
  writeFileAtomic,
} from '../secure/file-access.js';
import { mqttListenerPort, renderProductionConf, setupSecureBroker } from '../secure/setup.js';
import { type BrokerConfig, confPathOf } from './config.js';

/** What the broker service runs, and what its start-up line says. */
export interface PreparedBroker {
  profile: 'development' | 'production';
  /** The configuration Mosquitto runs. */
  confPath: string;
  /** Every port it listens on, to wait for. */
  ports: number[];
  /** The start-up line's fields and its sentence. */
  fields: Record<string, unknown>;
  summary: string;
  /** Warnings to log once, after the start-up line. */
  warnings: string[];
}

/** The dashboard's copy of dashboard.env belongs to `node` (1000:1000) of its image when we can give it. */
function sharedOwner(runAs: BrokerUser | undefined) {
  return runAs ? DASHBOARD_IMAGE_USER : undefined;
}

/** Values of the limits a configuration sets, for the start-up line. */
export function limitsOf(text: string): Record<string, string> {
  const names = [
    'max_connections',
    'max_packet_size',
    'max_queued_messages',
    'max_queued_bytes',
    'persistent_client_expiration',
  ];
  const limits: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name && value && names.includes(name)) limits[name] = value;
  }
  return limits;
}

function describeLimits(limits: Record<string, string>): string {
  return Object.entries(limits)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
}

/**
 * FLEET_ROLE=standalone: development.conf (anonymous, 1883 and WebSockets 9001) with DATA_DIR as its data
 * folder, owned by the user Mosquitto drops to; and SHARED_DIR/dashboard.env pointing the dashboard at it.
 */
export async function prepareDevelopment(config: BrokerConfig): Promise<PreparedBroker> {
  const sourcePath = confPathOf(config, 'development');
  const source = await readFile(sourcePath, 'utf8');
  const runAs = brokerRunAs();
  await ensureDir(config.dataDir, 0o755, runAs);
  if (runAs) await chownIfExists(join(config.dataDir, 'mosquitto.db'), runAs);
  const sameFolder = `${config.dataDir.replace(/\/+$/, '')}/` === IMAGE_DATA_DIR;
  let confPath = sourcePath;
  if (!sameFolder) {
    confPath = join(config.dataDir, 'mosquitto.conf');
    await writeFileAtomic(confPath, rewriteMosquittoConf(source, { dataDir: config.dataDir }), 0o644);
  }
  const listeners = mosquittoListeners(source);
  const port = mqttListenerPort(source, sourcePath);
  await ensureDir(config.sharedDir, 0o755);
  await writeFileAtomic(
    join(config.sharedDir, 'dashboard.env'),
    formatEnvFile({ MQTT_BROKER: 'mosquitto', MQTT_PORT: String(port) }, [
      'The development broker (FLEET_ROLE=standalone): anonymous, no TLS.',
    ]),
    0o600,
    sharedOwner(runAs),
  );
  const limits = limitsOf(source);
  const listening = listeners.map((listener) => `${listener.protocol} ${listener.port}`).join(', ');
  return {
    profile: 'development',
    confPath,
    ports: listeners.map((listener) => listener.port),
    fields: { fleet_role: config.fleetRole, profile: 'development', listeners: listening, limits },
    summary: `broker started: FLEET_ROLE=${config.fleetRole}, development profile (anonymous, no TLS: for a trusted network only), listening on ${listening}; ${describeLimits(limits)}`,
    warnings: [],
  };
}

function describeCertificate(certificate: BrokerCertificate): {
  text: string;
  fields: Record<string, unknown>;
} {
  if (certificate.kind === 'mounted') {
    const expires = certificate.expires.toISOString();
    return {
      text: `mounted certificate "${certificate.subject}" expiring ${expires}${certificate.caCertPem ? ' (private CA)' : ''}`,
      fields: { kind: 'mounted', subject: certificate.subject, expires, server_name: certificate.serverName },
    };
  }
  return {
    text: `generated certificate (${certificate.action}) from CA sha256 ${certificate.caFingerprint}, names ${certificate.names.join(' ')}`,
    fields: {
      kind: 'generated',
      action: certificate.action,
      ca_sha256: certificate.caFingerprint,
      names: certificate.names,
      expires: certificate.expires.toISOString(),
    },
  };
}

/**
 * FLEET_ROLE=hub: the production setup (TLS material, env files, dynamic security file, the dashboard's
 * copy of dashboard.env), then production.conf as it ships, or rendered when DATA_DIR or the plugin differ.
 */
export async function prepareProduction(config: BrokerConfig): Promise<PreparedBroker> {
  const sourcePath = confPathOf(config, 'production');
  const source = await readFile(sourcePath, 'utf8');
  const port = mqttListenerPort(source, sourcePath);
  const runAs = brokerRunAs();
  const setup = await setupSecureBroker({
    dataDir: config.dataDir,
    port,
    hostnames: config.brokerHostnames,
    topics: new Topics(config.topicRoot),
    ha: new HaTopics(config.haDiscoveryPrefix),
    certsDir: config.certsDir,
    adminHost: '127.0.0.1',
    dashboardHost: 'mosquitto',
    sharedDir: config.sharedDir,
    sharedOwner: sharedOwner(runAs),
    runAs,
  });
  const rendered = await renderProductionConf(setup.layout, { sourcePath });
  const certificate = describeCertificate(setup.certificate);
  const limits = limitsOf(source);
  const warnings: string[] = [];
  if (config.brokerHostnames.length === 0 && setup.certificate.kind === 'generated') {
    warnings.push(
      `BROKER_HOSTNAMES is not set: the certificate names only ${[...BASE_SERVER_NAMES].join(', ')} and this machine's host name, so devices on other machines cannot verify it until BROKER_HOSTNAMES names the address they use.`,
    );
  }
  const openFiles = await openFilesLimit();
  const maxConnections = Number(limits.max_connections);
  if (openFiles !== undefined && maxConnections > 0 && openFiles < maxConnections + 64) {
    warnings.push(
      `The open-files limit is ${openFiles}, below max_connections ${maxConnections}: Mosquitto will refuse connections past about ${openFiles - 64}; raise it (ulimits: nofile in the compose file).`,
    );
  }
  return {
    profile: 'production',
    confPath: rendered.confPath,
    ports: [rendered.port],
    fields: {
      fleet_role: config.fleetRole,
      profile: 'production',
      topic_root: config.topicRoot,
      ha_discovery_prefix: config.haDiscoveryPrefix,
      listener: `mqtt over TLS ${rendered.port}`,
      certificate: certificate.fields,
      limits,
    },
    summary: `broker started: FLEET_ROLE=${config.fleetRole}, production profile, MQTT over TLS on port ${rendered.port} (every interface), ${certificate.text}, ACLs under ${config.topicRoot}/ and ${config.haDiscoveryPrefix}/; ${describeLimits(limits)}`,
    warnings,
  };
}

/** The soft limit on open files of this process (and so of Mosquitto), from /proc; undefined elsewhere. */
async function openFilesLimit(): Promise<number | undefined> {
  try {
    const text = await readFile('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\d+)/m.exec(text)?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

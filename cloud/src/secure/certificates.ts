import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, chown, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type BrokerUser, writeFileAtomic } from './file-access.js';
import type { SecureLayout } from './layout.js';
import {
  type CertificateAndKey,
  canonicalName,
  certificateNames,
  createCa,
  issueServerCertificate,
  type SubjectName,
  subjectName,
} from './x509.js';

/** A server certificate that expires within this time is reissued at start. */
export const RENEW_BEFORE_MS = 30 * 86_400_000;

/** The names every generated server certificate holds, before the machine's host name and BROKER_HOSTNAMES. */
export const BASE_SERVER_NAMES = ['mosquitto', 'localhost', '127.0.0.1', '::1'] as const;

/** The certificate the broker serves, as the start-up log and the env files need it. */
export type BrokerCertificate =
  | {
      kind: 'generated';
      caCertPem: string;
      caFingerprint: string;
      /** Its names, e.g. DNS:mosquitto, IP:127.0.0.1. */
      names: string[];
      expires: Date;
      /** What this start did: made a new CA (and certificate), reissued the certificate, or kept both. */
      action: 'created' | 'reissued' | 'kept';
    }
  | {
      kind: 'mounted';
      /** The CA of the user's own private CA, when CERTS_DIR has ca.crt; else a public CA signed it. */
      caCertPem: string | undefined;
      subject: string;
      names: string[];
      expires: Date;
      /** The name clients on mosquitto/127.0.0.1 verify it against (MQTT_TLS_SERVERNAME): its first DNS name. */
      serverName: string | undefined;
    };

export interface CertificateOptions {
  layout: SecureLayout;
  /** BROKER_HOSTNAMES: host names or IP addresses devices use to reach the broker. */
  hostnames: readonly string[];
  /** A folder that may hold the user's own server.crt + server.key (and ca.crt). */
  certsDir?: string;
  runAs?: BrokerUser;
  /** The machine's host name; default os.hostname(). */
  hostName?: string;
  now?: Date;
}

/** The names a generated server certificate must hold, without repeats. */
export function wantedServerNames(hostnames: readonly string[], hostName = hostname()): SubjectName[] {
  const seen = new Set<string>();
  const names: SubjectName[] = [];
  for (const host of [...BASE_SERVER_NAMES, hostName, ...hostnames]) {
    if (!host) continue;
    const name = subjectName(host);
    const key = canonicalName(name);
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function sameNames(a: readonly SubjectName[], b: readonly SubjectName[]): boolean {
  const key = (names: readonly SubjectName[]) => names.map(canonicalName).sort().join(',');
  return key(a) === key(b);
}

/** True when the server certificate can be served as it is: from this CA, its key, these names, not ending soon. */
function serverUsable(
  server: Partial<CertificateAndKey>,
  caCertPem: string,
  names: readonly SubjectName[],
  now: Date,
): boolean {
  const { certPem, keyPem } = server;
  if (!certPem || !keyPem || !keyMatches(certPem, keyPem)) return false;
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caCertPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return false;
  return sameNames(certificateNames(certPem), names);
}

async function writePair(
  layout: SecureLayout,
  which: 'ca' | 'server',
  pair: CertificateAndKey,
  runAs: BrokerUser | undefined,
): Promise<void> {
  const [cert, key] = which === 'ca' ? [layout.caCert, layout.caKey] : [layout.serverCert, layout.serverKey];
  // Mosquitto reads the server's files after dropping privileges; the CA's key stays with this user.
  const owner = which === 'server' ? runAs : undefined;
  await writeFileAtomic(key, pair.keyPem, 0o600, owner);
  await writeFileAtomic(cert, pair.certPem, 0o644, owner);
}

async function generated(options: CertificateOptions, now: Date): Promise<BrokerCertificate> {
  const { layout, runAs } = options;
  const names = wantedServerNames(options.hostnames, options.hostName);
  let ca = { certPem: await readText(layout.caCert), keyPem: await readText(layout.caKey) };
  const server = { certPem: await readText(layout.serverCert), keyPem: await readText(layout.serverKey) };
  let action: 'created' | 'reissued' | 'kept' = 'kept';
  if (!ca.certPem || !serverUsable(server, ca.certPem, names, now)) {
    if (ca.certPem && !ca.keyPem) {
      throw new Error(
        `The broker's server certificate must be reissued, but the CA's key ${layout.caKey} is missing: put it back, or remove ${layout.caCert} to make a new CA (every device then needs the new MQTT_CA_CERT).`,
      );
    }
    if (!ca.certPem || !ca.keyPem || !keyMatches(ca.certPem, ca.keyPem)) {
      ca = await createCa(now);
      await writePair(layout, 'ca', ca as CertificateAndKey, runAs);
      action = 'created';
    } else {
      action = 'reissued';
    }
    await writePair(
      layout,
      'server',
      await issueServerCertificate(ca as CertificateAndKey, names, now),
      runAs,
    );
  }
  await enforceModes(layout, runAs, true);
  const caCertPem = ca.certPem as string;
  const served = await readFile(layout.serverCert, 'utf8');
  return {
    kind: 'generated',
    caCertPem,
    caFingerprint: new X509Certificate(caCertPem).fingerprint256,
    names: certificateNames(served).map(canonicalName),
    expires: new Date(new X509Certificate(served).validTo),
    action,
  };
}

/** Modes and owners of the files kept from an earlier start, as if written now. */
async function enforceModes(layout: SecureLayout, runAs: BrokerUser | undefined, withCa: boolean) {
  const files: [string, number, BrokerUser | undefined][] = [
    [layout.serverCert, 0o644, runAs],
    [layout.serverKey, 0o600, runAs],
  ];
  if (withCa) files.push([layout.caCert, 0o644, undefined], [layout.caKey, 0o600, undefined]);
  for (const [path, mode, owner] of files) {
    if ((await readText(path)) === undefined) continue;
    await chmod(path, mode);
    if (owner) await chown(path, owner.uid, owner.gid);
  }
}

/** The name clients verify a mounted certificate against: its first DNS name that is not a wildcard. */
function serverNameOf(names: readonly SubjectName[]): string | undefined {
  const dns = names.filter((name) => name.type === 'dns').map((name) => name.value);
  return dns.find((name) => !name.startsWith('*.')) ?? dns[0]?.replace(/^\*\./, 'broker.');
}

async function mounted(options: CertificateOptions, certsDir: string, now: Date): Promise<BrokerCertificate> {
  const { layout, runAs } = options;
  const certPem = (await readText(join(certsDir, 'server.crt'))) as string;
  const keyPem = (await readText(join(certsDir, 'server.key'))) as string;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new Error(`${join(certsDir, 'server.crt')} holds no PEM certificate.`);
  }
  if (!keyMatches(certPem, keyPem)) {
    throw new Error(
      `${join(certsDir, 'server.key')} is not the private key of ${join(certsDir, 'server.crt')} (or not a PEM key).`,
    );
  }
  const expires = new Date(cert.validTo);
  if (expires.getTime() <= now.getTime()) {
    throw new Error(
      `The mounted certificate ${join(certsDir, 'server.crt')} expired on ${expires.toISOString()}; mount a renewed one.`,
    );
  }
  const caCertPem = await readText(join(certsDir, 'ca.crt'));
  if (caCertPem !== undefined) {
    try {
      new X509Certificate(caCertPem);
    } catch {
      throw new Error(`${join(certsDir, 'ca.crt')} holds no PEM certificate.`);
    }
  }
  await writeFileAtomic(layout.serverKey, keyPem, 0o600, runAs);
  await writeFileAtomic(layout.serverCert, certPem, 0o644, runAs);
  // ca.crt describes the broker's CA: the user's own private one, or none (a public CA). A CA key made
  // by an earlier start stays where it is, unused.
  if (caCertPem !== undefined) await writeFileAtomic(layout.caCert, caCertPem, 0o644);
  else await rm(layout.caCert, { force: true });
  const names = certificateNames(certPem);
  return {
    kind: 'mounted',
    caCertPem,
    subject: cert.subject.split('\n').join(', '),
    names: names.map(canonicalName),
    expires,
    serverName: serverNameOf(names),
  };
}

/**
 * The broker's TLS material in D/secure/: the user's own certificate from `certsDir` when it has
 * server.crt and server.key (copied at each start, so modes and owner are right), otherwise a private CA
 * made on first start and a server certificate it signs, reissued when the wanted names change or it
 * expires within 30 days.
 */
export async function prepareCertificates(options: CertificateOptions): Promise<BrokerCertificate> {
  const now = options.now ?? new Date();
  const { certsDir } = options;
  if (certsDir) {
    const hasCert = (await readText(join(certsDir, 'server.crt'))) !== undefined;
    const hasKey = (await readText(join(certsDir, 'server.key'))) !== undefined;
    if (hasCert && hasKey) return mounted(options, certsDir, now);
    if (hasCert !== hasKey) {
      const [present, missing] = hasCert ? ['server.crt', 'server.key'] : ['server.key', 'server.crt'];
      throw new Error(
        `${certsDir} has ${present} but no ${missing}; a certificate of your own needs both (and ca.crt when a private CA signed it).`,
      );
    }
  }
  return generated(options, now);
}

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError } from '@fleet/shared';

/** `TRUST_PROXY`, as Fastify's `trustProxy` takes it: on/off, a hop count, or the proxies' addresses. */
export type TrustProxy = boolean | number | string[];

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_ENTRY = new RegExp(`^(?:\\*|(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*)$`);
/** proxy-addr's names for address ranges. */
const RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

export const ALLOWED_HOSTS_ACCEPTED =
  'host names separated by commas, such as dashboard.example.com or *.example.com (its subdomains), or * for any host';
export const CORS_ORIGINS_ACCEPTED =
  'origins separated by commas, such as https://grafana.example.com or http://localhost:3000 (scheme, host and port; no path)';
export const TRUST_PROXY_ACCEPTED =
  "true, false, a number of proxy hops from 1 to 10, or the proxies' addresses and ranges separated by commas, such as 10.0.0.0/8,172.17.0.1 (or loopback, linklocal, uniquelocal)";

function items(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** ALLOWED_HOSTS: lower-case entries; undefined when one is not a host name, `*.` pattern or `*`. */
export function parseHostList(raw: string): string[] | undefined {
  const list = items(raw).map((item) => item.toLowerCase());
  return list.length > 0 && list.every((item) => HOST_ENTRY.test(item)) ? list : undefined;
}

/** CORS_ORIGINS: each as its `URL.origin` (`https://host[:port]`). */
export function parseOriginList(raw: string): string[] | undefined {
  const list: string[] = [];
  for (const item of items(raw)) {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      return undefined;
    }
    const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
    if (!['http:', 'https:'].includes(url.protocol) || !bare) return undefined;
    list.push(url.origin);
  }
  return list.length > 0 ? list : undefined;
}

function isAddressOrRange(item: string): boolean {
  if (RANGE_NAMES.includes(item)) return true;
  const [address = '', prefix, ...rest] = item.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (version === 4 ? 32 : 128);
}

export function parseTrustProxy(raw: string): TrustProxy | undefined {
  const text = raw.trim().toLowerCase();
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops === 0) return false;
    return hops <= 10 ? hops : undefined;
  }
  if (['true', 'yes', 'on'].includes(text)) return true;
  if (['false', 'no', 'off'].includes(text)) return false;
  const list = items(text);
  return list.length > 0 && list.every(isAddressOrRange) ? list : undefined;
}

/** How TRUST_PROXY reads in the start-up line. */
export function describeTrustProxy(value: TrustProxy): string {
  if (value === false) return 'no proxy trusted (X-Forwarded-* ignored)';
  if (value === true) return 'any proxy trusted (X-Forwarded-* believed from every address)';
  if (typeof value === 'number') return `the ${value} nearest proxy hop${value > 1 ? 's' : ''} trusted`;
  return `proxies at ${value.join(', ')} trusted`;
}

/** The certificate and key that HTTPS_CERT and HTTPS_KEY name, read and checked. */
export interface HttpsFiles {
  cert: string;
  key: string;
  /** The DNS names of the certificate (its subject alternative names), lower case. */
  names: string[];
  /** "CN=…, valid until …" for the start-up line. */
  summary: string;
}

function readPem(variable: string, path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(
      `Environment variable ${variable} received ${JSON.stringify(path)}, which cannot be read (${code}); accepted: the path of ${what}.`,
    );
  }
}

/** Reads HTTPS_CERT and HTTPS_KEY: both or neither; each a readable PEM file, and the key the certificate's. */
export function loadHttpsFiles(certPath: string | null, keyPath: string | null): HttpsFiles | null {
  if (certPath === null && keyPath === null) return null;
  if (certPath === null || keyPath === null) {
    const [missing, other] = certPath === null ? ['HTTPS_CERT', 'HTTPS_KEY'] : ['HTTPS_KEY', 'HTTPS_CERT'];
    throw new ConfigError(
      `Environment variable ${missing} received nothing while ${other} is set; accepted: both HTTPS_CERT and HTTPS_KEY (a certificate and its private key, PEM files), or neither.`,
    );
  }
  const cert = readPem('HTTPS_CERT', certPath, 'a PEM certificate file');
  const key = readPem('HTTPS_KEY', keyPath, 'the PEM private key file of HTTPS_CERT');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new ConfigError(
      `Environment variable HTTPS_CERT received ${JSON.stringify(certPath)}, which holds no PEM certificate; accepted: the path of a PEM certificate file.`,
    );
  }
  let matches = false;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch {
    throw new ConfigError(
      `Environment variable HTTPS_KEY received ${JSON.stringify(keyPath)}, which holds no PEM private key; accepted: the path of the PEM private key file of HTTPS_CERT.`,
    );
  }
  if (!matches) {
    throw new ConfigError(
      `Environment variable HTTPS_KEY received ${JSON.stringify(keyPath)}, a key that is not the one of HTTPS_CERT's certificate; accepted: the path of the PEM private key file of HTTPS_CERT.`,
    );
  }
  const names = (x509.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  return { cert, key, names, summary: `${x509.subject.replace(/\n/g, ', ')}, valid until ${x509.validTo}` };
}

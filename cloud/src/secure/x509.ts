// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API: load it first.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export const CA_COMMON_NAME = 'balena-sensor-fleet broker CA';
export const CA_VALIDITY_DAYS = 20 * 365;
export const SERVER_VALIDITY_DAYS = 10 * 365;

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

/** A subject alternative name: a DNS name or an IP address. */
export interface SubjectName {
  type: 'dns' | 'ip';
  value: string;
}

/** A positive serial number of 16 random bytes, as hex. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return `${x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY')}\n`;
}

/** An IP address in one spelling (::1 and 0:0:0:0:0:0:0:1 are the same), a DNS name in lower case. */
export function canonicalName(name: SubjectName): string {
  if (name.type === 'dns') return `DNS:${name.value.toLowerCase()}`;
  if (isIP(name.value) === 4) return `IP:${name.value}`;
  const url = new URL(`http://[${name.value}]/`);
  return `IP:${url.hostname.slice(1, -1)}`;
}

/** A host name or an IP address as the kind of name a certificate holds for it. */
export function subjectName(host: string): SubjectName {
  return { type: isIP(host) ? 'ip' : 'dns', value: host };
}

/** The private CA: ECDSA P-256, CN "balena-sensor-fleet broker CA", about 20 years, only for signing. */
export async function createCa(now = new Date()): Promise<CertificateAndKey> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${CA_COMMON_NAME}`,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyPem(keys.privateKey) };
}

/** A server certificate for `names`, signed by `ca`: about 10 years, serverAuth, the names as SANs. */
export async function issueServerCertificate(
  ca: CertificateAndKey,
  names: readonly SubjectName[],
  now = new Date(),
): Promise<CertificateAndKey> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await newKeys();
  const first = names.find((name) => name.type === 'dns') ?? names[0];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${first?.value ?? 'mosquitto'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + SERVER_VALIDITY_DAYS * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((name) => ({ ...name }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyPem(keys.privateKey) };
}

/** The DNS names and IP addresses of a certificate's subject alternative names, in their order. */
export function certificateNames(certPem: string): SubjectName[] {
  const cert = new x509.X509Certificate(certPem);
  const extension = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (!extension) return [];
  return extension.names.items
    .filter((name) => name.type === 'dns' || name.type === 'ip')
    .map((name) => ({ type: name.type as SubjectName['type'], value: name.value }));
}

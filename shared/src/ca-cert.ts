import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/**
 * MQTT_CA_CERT: the certificate of the authority that signed the broker's certificate. A balena variable is
 * one string, and a PEM's line breaks do not survive every copy and paste, so the form the project prints
 * is base64 of the PEM text: one line of [A-Za-z0-9+/=]. The PEM text itself and the path of a PEM file
 * (outside balena) are accepted too.
 */
export const CA_CERT_ACCEPTED =
  'base64 of a PEM certificate (one line, as "npm run fleet -- device add" prints it), the PEM text itself, or the path of a PEM file';

export type CaCertSource =
  | { kind: 'inline'; pem: string; fingerprint: string }
  | { kind: 'file'; path: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The certificate in `raw`, or undefined when it is none of the accepted forms. A file is read later. */
export function parseCaCert(raw: string): CaCertSource | undefined {
  const text = raw.trim();
  if (text.includes('-----BEGIN')) return inline(text);
  if (BASE64.test(text)) {
    const decoded = inline(Buffer.from(text, 'base64').toString('utf8'));
    if (decoded) return decoded;
  }
  if (!/[\r\n]/.test(text) && /[/.]/.test(text)) return { kind: 'file', path: text };
  return undefined;
}

/** base64 of the PEM text: the one-line form for variables. */
export function encodeCaCert(pem: string): string {
  return Buffer.from(pem.trim().concat('\n'), 'utf8').toString('base64');
}

/** The PEM text of a parsed MQTT_CA_CERT; a file is read now, and must hold a certificate. */
export async function loadCaCert(source: CaCertSource): Promise<string> {
  if (source.kind === 'inline') return source.pem;
  let text: string;
  try {
    text = await readFile(source.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`MQTT_CA_CERT names the file ${source.path}, which cannot be read (${code}).`);
  }
  const parsed = inline(text);
  if (!parsed) throw new Error(`MQTT_CA_CERT names the file ${source.path}, which holds no PEM certificate.`);
  return parsed.pem;
}

/** How MQTT_CA_CERT reads in a start-up log: never the whole certificate. */
export function describeCaCert(source: CaCertSource | null): string | null {
  if (!source) return null;
  return source.kind === 'file' ? `file ${source.path}` : `certificate sha256 ${source.fingerprint}`;
}

/** SHA-256 fingerprint of a PEM certificate, as `AB:CD:…`, or undefined when it is not one. */
export function certificateFingerprint(pem: string): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}

function inline(text: string): Extract<CaCertSource, { kind: 'inline' }> | undefined {
  const pem = text.trim();
  if (!pem.startsWith('-----BEGIN CERTIFICATE-----')) return undefined;
  const fingerprint = certificateFingerprint(pem);
  return fingerprint ? { kind: 'inline', pem: `${pem}\n`, fingerprint } : undefined;
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeCaCert, encodeCaCert, loadCaCert, parseCaCert } from '../src/ca-cert.js';

const fixture = fileURLToPath(new URL('./fixtures/test-ca.crt', import.meta.url));
const pem = readFileSync(fixture, 'utf8');
const FINGERPRINT =
  '43:E3:5A:08:5E:F0:B2:4C:0B:20:30:82:AE:5F:EA:1C:91:78:D7:4A:A7:3C:A1:BC:65:29:A0:FE:24:DB:8D:A9';

describe('MQTT_CA_CERT', () => {
  it('is printed as one line of base64 that survives a copy into a balena variable', () => {
    const encoded = encodeCaCert(pem);
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(parseCaCert(encoded)).toEqual({ kind: 'inline', pem, fingerprint: FINGERPRINT });
    // Pasted with a stray space or line break around it.
    expect(parseCaCert(`  ${encoded}\n`)).toMatchObject({ kind: 'inline', fingerprint: FINGERPRINT });
  });

  it('accepts the PEM text itself and a file path', async () => {
    expect(parseCaCert(pem)).toMatchObject({ kind: 'inline', fingerprint: FINGERPRINT });
    const file = parseCaCert(fixture);
    expect(file).toEqual({ kind: 'file', path: fixture });
    expect(await loadCaCert(file as NonNullable<typeof file>)).toBe(pem);
  });

  it('refuses what is not a certificate', () => {
    expect(parseCaCert('hello')).toBeUndefined();
    expect(parseCaCert(Buffer.from('not a pem').toString('base64'))).toBeUndefined();
    expect(parseCaCert('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toBeUndefined();
  });

  it('names an unreadable or empty file in one sentence when it is loaded', async () => {
    await expect(loadCaCert({ kind: 'file', path: '/nonexistent/ca.crt' })).rejects.toThrow(
      'MQTT_CA_CERT names the file /nonexistent/ca.crt, which cannot be read (ENOENT).',
    );
    await expect(loadCaCert({ kind: 'file', path: '/etc/hostname' })).rejects.toThrow(
      'holds no PEM certificate',
    );
  });

  it('shows a certificate by its fingerprint in the start-up log, never whole', () => {
    expect(describeCaCert(parseCaCert(pem) ?? null)).toBe(`certificate sha256 ${FINGERPRINT}`);
    expect(describeCaCert({ kind: 'file', path: '/x/ca.crt' })).toBe('file /x/ca.crt');
    expect(describeCaCert(null)).toBeNull();
  });
});

import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HSTS_VALUE, loadHttpsFiles } from '@fleet/dashboard';
import { ConfigError } from '@fleet/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from './access-helpers.js';
import { tempDir } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';

/** A self-signed certificate for `names` (the first is the subject), made with openssl in `dir`. */
function makeCertificate(dir: string, stem: string, names: string[]) {
  const cert = join(dir, `${stem}.crt`);
  const key = join(dir, `${stem}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POST /api/login over a real socket; `ca` makes it HTTPS. */
function postLogin(
  port: number,
  headers: Record<string, string>,
  ca?: string,
  servername?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/login',
      headers: { 'content-type': 'application/json', ...headers },
      ...(ca ? { ca, servername } : {}),
    };
    const req = (ca ? httpsRequest : httpRequest)(options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    req.on('error', reject);
    req.end(JSON.stringify({ username: 'alice', password: PASSWORD }));
  });
}

const cookieAttributes = (answer: Answer) => String(answer.headers['set-cookie']).split('; ').slice(1);

describe('HTTPS and TRUST_PROXY', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let files: { cert: string; key: string };
  let h: Harness;
  beforeAll(async () => {
    dir = await tempDir();
    files = makeCertificate(dir.path, 'dash', ['dash.test', 'fleet.example.org']);
  });
  afterAll(async () => {
    await dir?.remove();
  });
  afterEach(async () => {
    await h?.close();
  });

  async function listen(options: Parameters<typeof startHarness>[0]) {
    h = await startHarness(options);
    await h.dashboard.users.add('alice', 'viewer', PASSWORD);
    await h.dashboard.app.listen({ port: 0, host: '127.0.0.1' });
    return (h.dashboard.app.server.address() as AddressInfo).port;
  }

  it("serves HTTPS with HTTPS_CERT and HTTPS_KEY: a Secure cookie, HSTS, and the certificate's names as hosts", async () => {
    const https = loadHttpsFiles(files.cert, files.key);
    expect(https?.names).toEqual(['dash.test', 'fleet.example.org']);
    expect(https?.summary).toMatch(/^CN=dash\.test, valid until /);
    const port = await listen({
      access: { auth: 'on', certNames: https?.names ?? [] },
      server: { https: { cert: https?.cert as string, key: https?.key as string } },
    });
    const ca = https?.cert as string;
    const answer = await postLogin(port, { host: `fleet.example.org:${port}` }, ca, 'dash.test');
    expect(answer.status).toBe(204);
    expect(cookieAttributes(answer).filter((a) => !a.startsWith('Expires='))).toEqual([
      'Path=/',
      'HttpOnly',
      'Secure',
      'SameSite=Strict',
    ]);
    expect(answer.headers['strict-transport-security']).toBe(HSTS_VALUE);
    // Same-origin over HTTPS: the Origin is https://.
    const sameOrigin = await postLogin(
      port,
      { host: `dash.test:${port}`, origin: `https://dash.test:${port}` },
      ca,
      'dash.test',
    );
    expect(sameOrigin.status).toBe(204);
    const plain = await postLogin(port, {}, undefined).catch((error: Error) => error);
    expect(plain).not.toHaveProperty('status', 204);
  });

  it('gives a proxied HTTPS request a Secure cookie and HSTS when TRUST_PROXY trusts the proxy, and not otherwise', async () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };
    let port = await listen({ access: { auth: 'on' }, server: { trustProxy: ['127.0.0.1'] } });
    const trusted = await postLogin(port, forwarded);
    expect(trusted.status).toBe(204);
    expect(cookieAttributes(trusted)).toContain('Secure');
    expect(trusted.headers['strict-transport-security']).toBe(HSTS_VALUE);
    await h.close();

    port = await listen({ access: { auth: 'on' } });
    const untrusted = await postLogin(port, forwarded);
    expect(untrusted.status).toBe(204);
    expect(cookieAttributes(untrusted)).not.toContain('Secure');
    expect(cookieAttributes(untrusted)).toContain('SameSite=Strict');
    expect(untrusted.headers['strict-transport-security']).toBeUndefined();
  });

  it('refuses HTTPS_CERT without HTTPS_KEY, an unreadable file, a file that is no certificate, and a key of another certificate', async () => {
    const other = makeCertificate(dir.path, 'other', ['other.test']);
    await writeFile(join(dir.path, 'junk.pem'), 'not a certificate');
    expect(() => loadHttpsFiles(files.cert, null)).toThrow(ConfigError);
    expect(() => loadHttpsFiles(join(dir.path, 'missing.crt'), files.key)).toThrow(
      `Environment variable HTTPS_CERT received "${join(dir.path, 'missing.crt')}", which cannot be read (ENOENT); accepted: the path of a PEM certificate file.`,
    );
    expect(() => loadHttpsFiles(join(dir.path, 'junk.pem'), files.key)).toThrow(
      `Environment variable HTTPS_CERT received "${join(dir.path, 'junk.pem')}", which holds no PEM certificate; accepted: the path of a PEM certificate file.`,
    );
    expect(() => loadHttpsFiles(files.cert, other.key)).toThrow(
      `Environment variable HTTPS_KEY received "${other.key}", a key that is not the one of HTTPS_CERT's certificate; accepted: the path of the PEM private key file of HTTPS_CERT.`,
    );
  });
});

import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkServerIdentity, createServer, connect as tlsConnect } from 'node:tls';
import { encodeCaCert, Topics } from '@fleet/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { brokerRunAs } from '../src/secure/file-access.js';
import { type SecureSetup, setupSecureBroker } from '../src/secure/setup.js';
import { startSecureMosquitto } from '../src/secure/start-secure-mosquitto.js';
import { certificateNames, createCa, issueServerCertificate, subjectName } from '../src/secure/x509.js';
import { asRoot, decodeCa, modeOf, ownerOf, reachableTempDir, readEnv } from './secure-helpers.js';

const HOST = 'fleet-test-host';
const hostnames = ['broker.example.com', '203.0.113.7'];

async function setup(dataDir: string, options: Partial<Parameters<typeof setupSecureBroker>[0]> = {}) {
  return setupSecureBroker({
    dataDir,
    port: 8883,
    hostnames,
    hostName: HOST,
    topics: new Topics(),
    ...options,
  });
}

/** A TLS handshake with a client that trusts only `ca` and checks the certificate against `name`. */
function handshake(server: { certPem: string; keyPem: string }, ca: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = createServer({ cert: server.certPem, key: server.keyPem }, (socket) => socket.end());
    listener.listen(0, '127.0.0.1', () => {
      const { port } = listener.address() as { port: number };
      const servername = subjectName(name).type === 'dns' ? name : undefined;
      const socket = tlsConnect({
        host: '127.0.0.1',
        port,
        ca,
        ...(servername ? { servername } : {}),
        // Node's own check, for the name the client asked for (an IP address cannot be sent as SNI).
        checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert),
      });
      const done = (error?: Error) => {
        socket.destroy();
        listener.close();
        if (error) reject(error);
        else resolve();
      };
      socket.once('secureConnect', () => done());
      socket.once('error', done);
    });
  });
}

describe('setupSecureBroker: generated TLS material and env files', () => {
  let dataDir: string;
  let sharedDir: string;
  let first: SecureSetup;

  beforeAll(async () => {
    const root = await reachableTempDir('fleet-secure-files-');
    dataDir = join(root, 'data');
    sharedDir = join(root, 'shared');
    first = await setup(dataDir, { adminHost: '127.0.0.1', dashboardHost: 'mosquitto', sharedDir });
  });

  it('writes every file with its mode, and gives Mosquitto its own when run as root', async () => {
    const { layout } = first;
    const modes = {
      [layout.caCert]: 0o644,
      [layout.caKey]: 0o600,
      [layout.serverCert]: 0o644,
      [layout.serverKey]: 0o600,
      [layout.adminEnv]: 0o600,
      [layout.dashboardEnv]: 0o600,
      [layout.clientEnv]: 0o644,
      [layout.dynsecConfig]: 0o600,
      [layout.brokerDir]: 0o700,
      [join(sharedDir, 'dashboard.env')]: 0o600,
    };
    for (const [path, mode] of Object.entries(modes)) expect(await modeOf(path), path).toBe(mode);
    if (asRoot) {
      const mosquitto = brokerRunAs();
      expect(mosquitto?.name).toBe('mosquitto');
      for (const path of [layout.serverKey, layout.serverCert, layout.brokerDir, layout.dynsecConfig]) {
        expect(await ownerOf(path), path).toEqual({ uid: mosquitto?.uid, gid: mosquitto?.gid });
      }
      expect((await ownerOf(layout.caKey)).uid).toBe(0);
      expect(await ownerOf(join(sharedDir, 'dashboard.env'))).toEqual({ uid: 0, gid: 0 });
    }
  });

  it('writes the three env files: connection lines, the CA in base64, the service credentials', async () => {
    const { layout } = first;
    const ca = encodeCaCert(await readFile(layout.caCert, 'utf8'));
    const admin = await readEnv(layout.adminEnv);
    expect(Object.keys(admin)).toEqual([
      'MQTT_BROKER',
      'MQTT_PORT',
      'MQTT_TLS',
      'MQTT_CA_CERT',
      'MQTT_TOPIC_ROOT',
      'MQTT_USERNAME',
      'MQTT_PASSWORD',
    ]);
    expect(admin).toMatchObject({ MQTT_BROKER: '127.0.0.1', MQTT_PORT: '8883', MQTT_TLS: 'true' });
    expect(admin).toMatchObject({ MQTT_CA_CERT: ca, MQTT_USERNAME: 'fleet-admin' });
    expect(admin.MQTT_PASSWORD).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const dashboard = await readEnv(layout.dashboardEnv);
    expect(dashboard).toMatchObject({
      MQTT_BROKER: 'mosquitto',
      MQTT_CA_CERT: ca,
      MQTT_USERNAME: 'dashboard',
    });
    expect(dashboard.MQTT_PASSWORD).not.toBe(admin.MQTT_PASSWORD);
    expect(await readEnv(layout.clientEnv)).toEqual({
      MQTT_BROKER: 'broker.example.com',
      MQTT_PORT: '8883',
      MQTT_TLS: 'true',
      MQTT_CA_CERT: ca,
      MQTT_TOPIC_ROOT: 'devices',
    });
    const shared = await readFile(join(sharedDir, 'dashboard.env'), 'utf8');
    expect(shared).toBe(await readFile(layout.dashboardEnv, 'utf8'));
  });

  it('makes a P-256 CA and a serverAuth certificate holding every wanted name', async () => {
    const ca = new X509Certificate(await readFile(first.layout.caCert));
    const server = new X509Certificate(await readFile(first.layout.serverCert));
    expect(ca.subject).toBe('CN=balena-sensor-fleet broker CA');
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const years = (cert: X509Certificate) => (Date.parse(cert.validTo) - Date.now()) / (365 * 86_400_000);
    expect(Math.round(years(ca))).toBe(20);
    expect(Math.round(years(server))).toBe(10);
    expect(server.ca).toBe(false);
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(certificateNames(server.toString())).toEqual([
      { type: 'dns', value: 'mosquitto' },
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
      { type: 'dns', value: HOST },
      { type: 'dns', value: 'broker.example.com' },
      { type: 'ip', value: '203.0.113.7' },
    ]);
  });

  it("is accepted by Node's tls under each of its names by a client trusting only ca.crt, and refused under another", async () => {
    const { layout } = first;
    const server = {
      certPem: await readFile(layout.serverCert, 'utf8'),
      keyPem: await readFile(layout.serverKey, 'utf8'),
    };
    const ca = await readFile(layout.caCert, 'utf8');
    for (const name of ['mosquitto', 'localhost', '127.0.0.1', '::1', HOST, ...hostnames]) {
      await expect(handshake(server, ca, name), name).resolves.toBeUndefined();
    }
    await expect(handshake(server, ca, 'other.example.com')).rejects.toThrow(/not in the cert's altnames/);
    await expect(handshake(server, ca, '198.51.100.1')).rejects.toThrow(/IP: 198\.51\.100\.1 is not in/);
    const stranger = await createCa();
    await expect(handshake(server, stranger.certPem, 'mosquitto')).rejects.toThrow(/certificate/);
  });

  it('keeps the certificate while the names stay, and reissues it from the same CA for a new name or near its end', async () => {
    const { layout } = first;
    const serverNow = () => readFile(layout.serverCert, 'utf8');
    const issued = await serverNow();
    const again = await setup(dataDir);
    expect(again.certificate).toMatchObject({ kind: 'generated', action: 'kept' });
    expect(await serverNow()).toBe(issued);

    const wider = await setup(dataDir, { hostnames: [...hostnames, 'mqtt.example.net'] });
    expect(wider.certificate).toMatchObject({ kind: 'generated', action: 'reissued' });
    const reissued = new X509Certificate(await serverNow());
    expect(reissued.serialNumber).not.toBe(new X509Certificate(issued).serialNumber);
    expect(certificateNames(reissued.toString()).at(-1)).toEqual({ type: 'dns', value: 'mqtt.example.net' });
    expect(wider.caCertPem).toBe(first.caCertPem);
    expect(reissued.verify(new X509Certificate(first.caCertPem ?? '').publicKey)).toBe(true);

    const nearEnd = new Date(Date.parse(reissued.validTo) - 10 * 86_400_000);
    const renewed = await setup(dataDir, { hostnames: [...hostnames, 'mqtt.example.net'], now: nearEnd });
    expect(renewed.certificate).toMatchObject({ kind: 'generated', action: 'reissued' });
    expect(renewed.caCertPem).toBe(first.caCertPem);
  });

  it('keeps the service passwords across starts', async () => {
    const before = await readEnv(first.layout.adminEnv);
    await setup(dataDir);
    expect((await readEnv(first.layout.adminEnv)).MQTT_PASSWORD).toBe(before.MQTT_PASSWORD);
  });
});

describe('setupSecureBroker with a certificate of your own (CERTS_DIR)', () => {
  async function ownCertificate(withCa: boolean) {
    const root = await reachableTempDir('fleet-own-cert-');
    const certsDir = join(root, 'certs');
    await mkdir(certsDir);
    const theirCa = await createCa();
    const names = ['*.example.org', 'broker.example.org', '198.51.100.7'].map(subjectName);
    const server = await issueServerCertificate(theirCa, names);
    await writeFile(join(certsDir, 'server.crt'), server.certPem);
    await writeFile(join(certsDir, 'server.key'), server.keyPem);
    if (withCa) await writeFile(join(certsDir, 'ca.crt'), theirCa.certPem);
    const dataDir = join(root, 'data');
    // An earlier start made a CA of its own: it must not be offered with the mounted certificate.
    await setup(dataDir);
    return { certsDir, dataDir, server, theirCa };
  }

  it('serves it, makes no CA, and names it for clients on mosquitto or 127.0.0.1 (private CA)', async () => {
    const { certsDir, dataDir, server, theirCa } = await ownCertificate(true);
    const result = await setup(dataDir, { certsDir, adminHost: '127.0.0.1', dashboardHost: 'mosquitto' });
    expect(result.certificate).toMatchObject({
      kind: 'mounted',
      subject: 'CN=*.example.org',
      serverName: 'broker.example.org',
    });
    const { layout } = result;
    expect(await readFile(layout.serverCert, 'utf8')).toBe(server.certPem);
    expect(await readFile(layout.serverKey, 'utf8')).toBe(server.keyPem);
    expect(await modeOf(layout.serverKey)).toBe(0o600);
    expect(await readFile(layout.caCert, 'utf8')).toBe(theirCa.certPem);
    for (const path of [layout.adminEnv, layout.dashboardEnv]) {
      const env = await readEnv(path);
      expect(env.MQTT_TLS_SERVERNAME, path).toBe('broker.example.org');
      expect(decodeCa(env.MQTT_CA_CERT), path).toBe(theirCa.certPem);
    }
    expect((await readEnv(layout.clientEnv)).MQTT_TLS_SERVERNAME).toBeUndefined();
  });

  it('offers no CA when a public CA signed it (no ca.crt)', async () => {
    const { certsDir, dataDir } = await ownCertificate(false);
    const { layout, caCertPem } = await setup(dataDir, { certsDir });
    expect(caCertPem).toBeUndefined();
    expect(existsSync(layout.caCert)).toBe(false);
    for (const path of [layout.adminEnv, layout.dashboardEnv, layout.clientEnv]) {
      expect((await readEnv(path)).MQTT_CA_CERT, path).toBeUndefined();
    }
  });

  it('refuses half a certificate, or a key of another certificate, in one sentence', async () => {
    const { certsDir, dataDir } = await ownCertificate(true);
    const other = await issueServerCertificate(await createCa(), [subjectName('x.example.org')]);
    await writeFile(join(certsDir, 'server.key'), other.keyPem);
    await expect(setup(dataDir, { certsDir })).rejects.toThrow(
      `${certsDir}/server.key is not the private key of ${certsDir}/server.crt (or not a PEM key).`,
    );
    const onlyKey = join(certsDir, 'only-key');
    await mkdir(onlyKey);
    await writeFile(join(onlyKey, 'server.key'), other.keyPem);
    await expect(setup(dataDir, { certsDir: onlyKey })).rejects.toThrow(
      `${onlyKey} has server.key but no server.crt; a certificate of your own needs both (and ca.crt when a private CA signed it).`,
    );
  });
});

describe('startSecureMosquitto without Mosquitto', () => {
  it('says in one sentence how to install it', async () => {
    const dataDir = join(await reachableTempDir('fleet-no-mosquitto-'), 'data');
    await expect(startSecureMosquitto({ dataDir, binary: '/nonexistent/mosquitto' })).rejects.toThrow(
      'The secure broker needs Mosquitto at /nonexistent/mosquitto, which is not installed; install it with: sudo apt-get install mosquitto.',
    );
  });
});

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { certificateFingerprint } from '@fleet/shared';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminConnection } from '../src/fleet/connect-options.js';
import { defaultMosquittoConfPath, freePort, hasMosquitto, rewriteMosquittoConf } from '../src/index.js';
import { secureLayout } from '../src/secure/layout.js';
import { BROKER_HEALTHCHECK, BROKER_MAIN, BrokerProcess, runScript } from './broker-process.js';
import { connectClient, endClients } from './mqtt-helpers.js';
import { asRoot, modeOf, ownerOf, reachableTempDir, readEnv } from './secure-helpers.js';

const built = existsSync(BROKER_MAIN) && existsSync(BROKER_HEALTHCHECK);
const ready = hasMosquitto() && built;
if (!ready) {
  console.warn(
    `SKIPPED: the broker entry tests need ${built ? "Debian's Mosquitto (apt-get install mosquitto)" : 'cloud/dist/broker (npm run build)'}.`,
  );
}

/** The environment of one test broker: its own folders, and copies of the two profiles on free ports. */
async function brokerEnv(fleetRole: string): Promise<NodeJS.ProcessEnv> {
  const root = await reachableTempDir(`fleet-broker-${fleetRole}-`);
  const configDir = join(root, 'config');
  await mkdir(configDir);
  const production = await readFile(defaultMosquittoConfPath('production'), 'utf8');
  await writeFile(
    join(configDir, 'production.conf'),
    rewriteMosquittoConf(production, { port: await freePort() }),
  );
  const development = await readFile(defaultMosquittoConfPath('development'), 'utf8');
  const ports = { port: await freePort(), wsPort: await freePort() };
  await writeFile(join(configDir, 'development.conf'), rewriteMosquittoConf(development, ports));
  return {
    PATH: process.env.PATH,
    FLEET_ROLE: fleetRole,
    DATA_DIR: join(root, 'data'),
    SHARED_DIR: join(root, 'shared'),
    CERTS_DIR: join(root, 'certs'),
    MOSQUITTO_CONFIG_DIR: configDir,
    LOG_LEVEL: 'info',
  };
}

const started = (line: { msg: string }) => line.msg.startsWith('broker started');

describe.skipIf(!ready)('node cloud/dist/broker/main.js', () => {
  const running: BrokerProcess[] = [];
  const start = (env: NodeJS.ProcessEnv) => {
    const broker = new BrokerProcess(env);
    running.push(broker);
    return broker;
  };
  afterEach(async () => {
    await endClients();
  });
  afterAll(async () => {
    await Promise.all(running.map((broker) => broker.stop('SIGKILL')));
  });

  it('exits 0 at once with one line when FLEET_ROLE=edge', async () => {
    const { code, lines } = await runScript(BROKER_MAIN, await brokerEnv('edge'));
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.msg).toMatch(
      /^FLEET_ROLE=edge: this device runs only the edge; the broker stays stopped/,
    );
  });

  it('exits 1 with one line naming a bad BROKER_HOSTNAMES entry', async () => {
    const env = { ...(await brokerEnv('hub')), BROKER_HOSTNAMES: 'broker.example.com, mqtts://broker:8883' };
    const { code, lines } = await runScript(BROKER_MAIN, env);
    expect(code).toBe(1);
    expect(lines.map((line) => line.msg)).toEqual([
      'Environment variable BROKER_HOSTNAMES received "broker.example.com, mqtts://broker:8883", whose entry "mqtts://broker:8883" is neither a host name nor an IP address; accepted: host names or IP addresses separated by commas, such as broker.example.com,203.0.113.7, without "mqtts://" or a port.',
    ]);
    const bad = await runScript(BROKER_MAIN, { ...env, BROKER_HOSTNAMES: '', FLEET_ROLE: 'central' });
    expect(bad.code).toBe(1);
    expect(bad.lines.map((line) => line.msg)).toEqual([
      'Environment variable FLEET_ROLE received "central"; accepted: one of standalone, hub, edge.',
    ]);
  });

  it('FLEET_ROLE=hub: serves TLS, writes the env files, passes its health check, and exits 0 on SIGTERM', async () => {
    const env = await brokerEnv('hub');
    const broker = start(env);
    const line = await broker.line(started);
    const layout = secureLayout(env.DATA_DIR ?? '');
    const caFingerprint = certificateFingerprint(await readFile(layout.caCert, 'utf8'));
    expect(line).toMatchObject({
      fleet_role: 'hub',
      profile: 'production',
      certificate: { kind: 'generated', action: 'created', ca_sha256: caFingerprint },
      limits: { max_connections: '12000', max_packet_size: '65536', max_queued_bytes: '67108864' },
    });
    expect(line.msg).toContain(`from CA sha256 ${caFingerprint}`);
    const warning = await broker.line((l) => l.msg.startsWith('BROKER_HOSTNAMES is not set'));
    expect(warning.level).toBe(40);
    expect(
      broker.lines.some((l) => l.component === 'mosquitto' && /version 2\.0\.\d+ running/.test(l.msg)),
    ).toBe(true);

    const { url, options } = await adminConnection(env.DATA_DIR ?? '');
    await expect(connectClient(url, options)).resolves.toBeDefined();
    const admin = await readEnv(layout.adminEnv);
    const dashboard = await readEnv(layout.dashboardEnv);
    expect(dashboard.MQTT_BROKER).toBe('mosquitto');
    expect(await readFile(join(env.SHARED_DIR ?? '', 'dashboard.env'), 'utf8')).toBe(
      await readFile(layout.dashboardEnv, 'utf8'),
    );
    expect(await modeOf(join(env.SHARED_DIR ?? '', 'dashboard.env'))).toBe(0o600);
    // The dashboard image's `node` user reads it; only root can give it away.
    if (asRoot)
      expect(await ownerOf(join(env.SHARED_DIR ?? '', 'dashboard.env'))).toEqual({ uid: 1000, gid: 1000 });
    expect(await readEnv(layout.clientEnv)).toMatchObject({ MQTT_BROKER: 'localhost', MQTT_TLS: 'true' });
    // The dashboard serves HTTPS with the broker's own certificate and key (the same names).
    const shared = (name: string) => join(env.SHARED_DIR ?? '', name);
    expect(await readFile(shared('https.crt'), 'utf8')).toBe(await readFile(layout.serverCert, 'utf8'));
    expect(await readFile(shared('https.key'), 'utf8')).toBe(await readFile(layout.serverKey, 'utf8'));
    expect(await modeOf(shared('https.key'))).toBe(0o600);
    if (asRoot) expect(await ownerOf(shared('https.key'))).toEqual({ uid: 1000, gid: 1000 });
    for (const secret of [admin.MQTT_PASSWORD, dashboard.MQTT_PASSWORD]) {
      expect(broker.raw.join('\n')).not.toContain(secret);
    }

    const healthy = await runScript(BROKER_HEALTHCHECK, env);
    expect(healthy.code).toBe(0);
    expect(healthy.lines[0]?.msg).toMatch(
      /^healthy: mqtts:\/\/127\.0\.0\.1:\d+ accepted fleet-admin over TLS/,
    );
    await endClients();
    expect(await broker.stop('SIGTERM')).toBe(0);
    const unhealthy = await runScript(BROKER_HEALTHCHECK, env);
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.lines).toHaveLength(1);
    expect(unhealthy.lines[0]?.msg).toMatch(
      /^unhealthy: mqtts:\/\/127\.0\.0\.1:\d+ did not accept fleet-admin/,
    );
  });

  it('FLEET_ROLE=standalone: the development profile, its health check, and a dashboard.env for it', async () => {
    const env = await brokerEnv('standalone');
    const broker = start(env);
    const line = await broker.line(started);
    expect(line).toMatchObject({ fleet_role: 'standalone', profile: 'development' });
    const development = await readFile(join(env.MOSQUITTO_CONFIG_DIR ?? '', 'development.conf'), 'utf8');
    const port = /^listener (\d+) 0\.0\.0\.0$/m.exec(development)?.[1];
    expect(await readEnv(join(env.SHARED_DIR ?? '', 'dashboard.env'))).toEqual({
      MQTT_BROKER: 'mosquitto',
      MQTT_PORT: port,
    });
    await expect(connectClient(`mqtt://127.0.0.1:${port}`)).resolves.toBeDefined();
    expect((await runScript(BROKER_HEALTHCHECK, env)).code).toBe(0);
    expect(await broker.stop('SIGINT')).toBe(0);
    expect((await runScript(BROKER_HEALTHCHECK, env)).code).toBe(1);
  });

  it('exits 1 when Mosquitto dies under it', async () => {
    const broker = start(await brokerEnv('standalone'));
    await broker.line(started);
    process.kill(await broker.mosquittoPid(), 'SIGKILL');
    expect(await broker.exited).toBe(1);
    expect(broker.lines.some((l) => l.level === 50 && /Mosquitto was killed by SIGKILL/.test(l.msg))).toBe(
      true,
    );
  });
});

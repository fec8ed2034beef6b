import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboardEnvSpec } from '../../dashboard/src/config.js';
import { loadEnvConfig } from '../../shared/src/index.js';
import { DOCKER_COMPOSE, hasDockerCompose, readRepoFile, readYaml, repoPath } from './helpers/repo.js';

const FILE = 'cloud/docker-compose.scale.yml';
const CADDYFILE = 'cloud/caddy/Caddyfile';
/** The variables the file requires (`${NAME:?sentence}`), with values such as cloud/.env would hold. */
const REQUIRED = {
  POSTGRES_PASSWORD: '5f0c9e2b7a41d3e8c6b09a1f',
  ALLOWED_HOSTS: 'fleet.example.com, dash.example.org',
  DASHBOARD_ADMIN_PASSWORD: 'correct horse battery',
};
const REPLICAS = ['dashboard-a', 'dashboard-b'];

// biome-ignore lint/suspicious/noExplicitAny: a compose file is free-form YAML; the tests check its shape.
type Yaml = Record<string, any>;
/** The file with its YAML merge keys (`<<: *dashboard`) applied, as docker compose reads it. */
const compose = parse(readRepoFile(FILE), { merge: true }) as Yaml;
const services = compose.services as Record<string, Yaml>;
const central = (readYaml('cloud/docker-compose.yml').services ?? {}) as Record<string, Yaml>;

/** `${NAME:?…}` and `${NAME}` replaced as docker compose does, from `values`. */
function interpolate(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_, name: string) => values[name] ?? '');
}

function environmentOf(name: string): Record<string, string> {
  const environment = (services[name]?.environment ?? {}) as Record<string, string>;
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [key, interpolate(String(value), REQUIRED)]),
  );
}

const temp = mkdtempSync(join(tmpdir(), 'scale-compose-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** docker-compose config on the file, with only `env` (and no cloud/.env: an empty --env-file). */
function composeConfig(env: Record<string, string>) {
  const emptyEnvFile = join(temp, 'empty.env');
  writeFileSync(emptyEnvFile, '');
  return spawnSync(DOCKER_COMPOSE, ['--env-file', emptyEnvFile, '-f', FILE, 'config'], {
    cwd: repoPath(),
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
}

describe('cloud/docker-compose.scale.yml (PostgreSQL, two dashboard replicas, Caddy, the broker)', () => {
  const composeMissing = !hasDockerCompose();
  const composeReason = composeMissing ? ` (skipped: ${DOCKER_COMPOSE} is not installed)` : '';

  it.skipIf(composeMissing)(
    `is accepted by docker-compose config with its variables set${composeReason}`,
    () => {
      const result = composeConfig(REQUIRED);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const resolved = parse(result.stdout) as Yaml;
      expect(resolved.services['dashboard-b'].environment.DATABASE_URL).toBe(
        `postgres://fleet:${REQUIRED.POSTGRES_PASSWORD}@postgres:5432/fleet`,
      );
    },
  );

  it.skipIf(composeMissing)(
    `is refused without each secret and name, with a sentence naming it${composeReason}`,
    () => {
      for (const missing of Object.keys(REQUIRED)) {
        const env = Object.fromEntries(Object.entries(REQUIRED).filter(([name]) => name !== missing));
        const result = composeConfig(env);
        expect(result.status, `without ${missing}`).not.toBe(0);
        expect(result.stderr, `without ${missing}`).toContain(`set ${missing} in cloud/.env`);
      }
    },
  );

  it('runs PostgreSQL, the broker, two dashboard replicas and Caddy, and nothing else', () => {
    expect(Object.keys(services).sort()).toEqual([
      'caddy',
      'dashboard-a',
      'dashboard-b',
      'mosquitto',
      'postgres',
    ]);
  });

  it("runs the central placement's broker unchanged: the cloud image, production profile, MQTT over TLS", () => {
    expect(services.mosquitto).toEqual(central.mosquitto);
    expect(services.mosquitto?.environment).toContain('FLEET_ROLE=hub');
  });

  it('runs the official PostgreSQL image with a volume, a health check and no published port', () => {
    const postgres = services.postgres as Yaml;
    expect(postgres.image).toMatch(/^postgres:\d+$/);
    expect(postgres.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(postgres.healthcheck?.test?.slice(0, 2)).toEqual(['CMD', 'pg_isready']);
    expect(postgres.ports).toBeUndefined();
    expect(postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
  });

  it('runs two replicas of the dashboard image, each with its own client id and data, sharing the rest', () => {
    const [a, b] = REPLICAS.map((name) => services[name] as Yaml);
    for (const replica of [a, b]) {
      expect(replica?.build).toEqual(central.dashboard?.build);
      expect(replica?.ports, 'only Caddy reaches a replica').toBeUndefined();
      expect(replica?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(replica?.healthcheck, "the image's health check").toBeUndefined();
    }
    const [envA, envB] = REPLICAS.map(environmentOf);
    expect(envA?.MQTT_CLIENT_ID).not.toBe(envB?.MQTT_CLIENT_ID);
    const { MQTT_CLIENT_ID: _a, ...sharedA } = envA ?? {};
    const { MQTT_CLIENT_ID: _b, ...sharedB } = envB ?? {};
    expect(sharedA).toEqual(sharedB);
    expect(a?.volumes).toEqual(['dashboard-a-data:/data', 'broker-shared:/broker:ro']);
    expect(b?.volumes).toEqual(['dashboard-b-data:/data', 'broker-shared:/broker:ro']);
  });

  it('gives the replicas only variables the dashboard accepts, with values it accepts', () => {
    const known = new Set(Object.values(dashboardEnvSpec).map((variable) => variable.env));
    for (const name of REPLICAS) {
      const env = environmentOf(name);
      const unknown = Object.keys(env).filter((key) => !known.has(key));
      expect(unknown, `${name}: variables the dashboard does not know`).toEqual([]);
      expect(() => loadEnvConfig(dashboardEnvSpec, env), name).not.toThrow();
      const config = loadEnvConfig(dashboardEnvSpec, env);
      expect(config.fleetRole).toBe('hub');
      expect(config.trustProxy).toBe(1);
      expect(config.allowedHosts).toEqual(['fleet.example.com', 'dash.example.org']);
      expect(config.mqttClientId).toBe(name);
      expect(config.mqttShareGroup).toBe('dashboards');
      expect(config.databaseUrl).toBe(`postgres://fleet:${REQUIRED.POSTGRES_PASSWORD}@postgres:5432/fleet`);
    }
  });

  it('points both replicas at the PostgreSQL service, as its user, with its password', () => {
    const postgres = services.postgres?.environment as Record<string, string>;
    const url = new URL(environmentOf('dashboard-a').DATABASE_URL ?? '');
    expect(url.protocol).toBe('postgres:');
    expect([url.hostname, url.port, url.username, url.pathname]).toEqual([
      'postgres',
      '5432',
      postgres.POSTGRES_USER,
      `/${postgres.POSTGRES_DB}`,
    ]);
    expect(url.password).toBe(REQUIRED.POSTGRES_PASSWORD);
  });

  it('opens only HTTPS (Caddy, 80 for ACME and the redirect) and MQTT over TLS', () => {
    const published = Object.fromEntries(
      Object.entries(services).map(([name, service]) => [name, service.ports ?? []]),
    );
    expect(published).toEqual({
      postgres: [],
      mosquitto: ['8883:8883'],
      'dashboard-a': [],
      'dashboard-b': [],
      caddy: ['80:80', '443:443'],
    });
  });

  it('commits no secret: every password is a variable that must be set, and cloud/.env is ignored by git', () => {
    const text = readRepoFile(FILE);
    for (const line of text.split('\n').filter((l) => /PASSWORD/.test(l) && !l.trim().startsWith('#'))) {
      expect(line).toMatch(/\$\{(POSTGRES|DASHBOARD_ADMIN)_PASSWORD:\?/);
    }
    expect(readRepoFile('.gitignore')).toMatch(/^cloud\/\.env$/m);
    const example = readRepoFile('cloud/scale.env.example');
    for (const name of Object.keys(REQUIRED)) expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
    expect(example).toMatch(/^POSTGRES_PASSWORD=$/m);
    expect(example).toMatch(/^DASHBOARD_ADMIN_PASSWORD=$/m);
  });

  it("mounts the Caddyfile and keeps Caddy's certificates in volumes", () => {
    expect(services.caddy?.volumes).toEqual([
      './caddy/Caddyfile:/etc/caddy/Caddyfile:ro',
      'caddy-data:/data',
      'caddy-config:/config',
    ]);
    expect(services.caddy?.environment).toEqual(['ALLOWED_HOSTS']);
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(
      [
        'broker-shared',
        'caddy-config',
        'caddy-data',
        'dashboard-a-data',
        'dashboard-b-data',
        'mosquitto-data',
        'postgres-data',
      ].sort(),
    );
  });
});

/** Debian's caddy, when installed (.ci/run installs it). */
const CADDY = '/usr/bin/caddy';
function caddyVersion(): string | null {
  try {
    return execFileSync(CADDY, ['version'], { encoding: 'utf8' }).trim().split(/\s+/)[0] ?? null;
  } catch {
    return null;
  }
}

describe('cloud/caddy/Caddyfile (the load balancer)', () => {
  const version = caddyVersion();
  const reason = version ? '' : ` (skipped: ${CADDY} is not installed; apt-get install caddy)`;
  const caddyEnv = {
    PATH: process.env.PATH,
    HOME: temp,
    XDG_DATA_HOME: join(temp, 'data'),
    XDG_CONFIG_HOME: join(temp, 'config'),
    ALLOWED_HOSTS: REQUIRED.ALLOWED_HOSTS,
  };
  const caddy = (args: string[], env: NodeJS.ProcessEnv = caddyEnv) =>
    spawnSync(CADDY, args, { cwd: repoPath(), encoding: 'utf8', env });

  it.skipIf(!version)(`is valid for caddy validate${reason}`, () => {
    const result = caddy(['validate', '--config', CADDYFILE, '--adapter', 'caddyfile']);
    expect(result.stderr + result.stdout).toContain('Valid configuration');
    expect(result.status).toBe(0);
  });

  it.skipIf(!version)(
    `is refused with ALLOWED_HOSTS written without a space after the comma${reason}`,
    () => {
      const result = caddy(['validate', '--config', CADDYFILE, '--adapter', 'caddyfile'], {
        ...caddyEnv,
        ALLOWED_HOSTS: 'fleet.example.com,dash.example.org',
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('put a space after the comma');
    },
  );

  it.skipIf(!version)(`is the version of the image the compose file runs${reason}`, () => {
    expect(services.caddy?.image).toBe(`caddy:${version?.replace(/^v/, '')}-alpine`);
  });

  it.skipIf(!version)(
    `serves the ALLOWED_HOSTS names over HTTPS, proxies to both replicas and never buffers the event stream${reason}`,
    () => {
      const result = caddy(['adapt', '--config', CADDYFILE, '--adapter', 'caddyfile']);
      expect(result.status, result.stderr).toBe(0);
      const servers = (JSON.parse(result.stdout) as Yaml).apps.http.servers as Record<string, Yaml>;
      expect(Object.keys(servers)).toHaveLength(1);
      const server = Object.values(servers)[0] as Yaml;
      expect(server.listen).toEqual([':443']);
      expect(server.protocols).toEqual(['h1', 'h2']);
      // A response in progress has no time limit: the event stream stays open.
      expect(server.write_timeout).toBeUndefined();
      expect(server.idle_timeout).toBeUndefined();
      expect(server.read_timeout).toBeUndefined();
      const route = server.routes[0] as Yaml;
      expect(route.match).toEqual([{ host: ['fleet.example.com', 'dash.example.org'] }]);
      const proxy = route.handle[0].routes[0].handle[0] as Yaml;
      expect(proxy.handler).toBe('reverse_proxy');
      const port = environmentOf('dashboard-a').PORT;
      expect(proxy.upstreams).toEqual(REPLICAS.map((name) => ({ dial: `${name}:${port}` })));
      expect(proxy.flush_interval).toBe(-1);
      expect(proxy.load_balancing.selection_policy).toEqual({ policy: 'least_conn' });
      expect(proxy.health_checks.passive.fail_duration).toBeGreaterThan(0);
      expect(
        proxy.health_checks.active,
        'no active check: /healthz is 503 during a broker outage',
      ).toBeUndefined();
      // Caddy's defaults pass Host through and set X-Forwarded-*: nothing overrides them.
      expect(proxy.headers).toBeUndefined();
      expect(proxy.trusted_proxies).toBeUndefined();
    },
  );
});

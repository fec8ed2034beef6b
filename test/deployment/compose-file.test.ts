import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { healthcheckCommand, parseDockerfile } from './helpers/dockerfile.js';
import {
  buildOf,
  composeServices,
  DOCKER_COMPOSE,
  hasDockerCompose,
  readRepoFile,
  readYaml,
  repoPath,
  repoRoot,
} from './helpers/repo.js';

/**
 * Service fields the balena device supervisor reads (balena docs, "docker-compose.yml fields", compose file
 * format 2.4). Anything else is refused by `balena push` (container_name, links, env_file, …) or silently
 * dropped on the device (device_cgroup_rules), so the file keeps to this list.
 */
const BALENA_SERVICE_FIELDS = new Set([
  'build',
  'cap_add',
  'cap_drop',
  'cgroup_parent',
  'command',
  'cpu_shares',
  'cpu_quota',
  'cpus',
  'cpuset',
  'devices',
  'depends_on',
  'dns',
  'dns_opt',
  'dns_search',
  'domainname',
  'entrypoint',
  'environment',
  'expose',
  'extra_hosts',
  'group_add',
  'healthcheck',
  'hostname',
  'image',
  'init',
  'ipc',
  'labels',
  'mac_address',
  'mem_limit',
  'mem_reservation',
  'network_mode',
  'networks',
  'oom_kill_disable',
  'oom_score_adj',
  'pid',
  'pids_limit',
  'ports',
  'privileged',
  'read_only',
  'restart',
  'security_opt',
  'shm_size',
  'stop_grace_period',
  'stop_signal',
  'sysctls',
  'tmpfs',
  'ulimits',
  'user',
  'userns_mode',
  'volumes',
  'working_dir',
]);
const BALENA_BUILD_FIELDS = new Set([
  'context',
  'dockerfile',
  'args',
  'cache_from',
  'extra_hosts',
  'labels',
  'shm_size',
  'target',
  'network',
]);
const RESTART_POLICIES = ['no', 'always', 'on-failure', 'unless-stopped'];

const compose = readYaml('docker-compose.yml');
const services = composeServices(compose);
const serviceNames = Object.keys(services);

/** Every string anywhere in a parsed YAML value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('docker-compose.yml', () => {
  const composeMissing = !hasDockerCompose();
  it.skipIf(composeMissing)(
    composeMissing
      ? `is accepted by docker-compose config (skipped: ${DOCKER_COMPOSE} is not installed)`
      : 'is accepted by docker-compose config',
    () => {
      const run = () =>
        execFileSync(DOCKER_COMPOSE, ['-f', 'docker-compose.yml', 'config', '-q'], {
          cwd: repoRoot,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      expect(run).not.toThrow();
    },
  );

  it('is compose file format 2.4 with the three services, the broker named mosquitto', () => {
    expect(compose.version).toBe('2.4');
    expect(serviceNames.sort()).toEqual(['dashboard', 'edge', 'mosquitto']);
    expect(services.mosquitto?.build).toEqual({ context: '.', dockerfile: 'cloud/Dockerfile' });
  });

  it('builds every service from the repository root, from a Dockerfile that exists', () => {
    for (const [name, service] of Object.entries(services)) {
      const build = buildOf(service);
      expect(build, `${name} has no build`).not.toBeNull();
      expect(build?.context, `${name}: context`).toBe('.');
      expect(existsSync(repoPath(build?.dockerfile ?? '')), `${name}: ${build?.dockerfile} exists`).toBe(
        true,
      );
    }
  });

  it('uses only the service and build fields the balena supervisor supports', () => {
    const refused: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const field of Object.keys(service)) {
        if (!BALENA_SERVICE_FIELDS.has(field)) refused.push(`${name}.${field}`);
      }
      if (service.build && typeof service.build === 'object') {
        for (const field of Object.keys(service.build)) {
          if (!BALENA_BUILD_FIELDS.has(field)) refused.push(`${name}.build.${field}`);
        }
      }
    }
    expect(refused).toEqual([]);
    expect(Object.keys(compose).sort()).toEqual(['services', 'version', 'volumes']);
  });

  it('mounts named volumes only (balena refuses bind mounts), each one declared', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const mounts: Record<string, string[]> = {};
    for (const [name, service] of Object.entries(services)) {
      const volumes = (service.volumes ?? []) as unknown[];
      for (const volume of volumes) {
        expect(typeof volume, `${name}: short volume syntax`).toBe('string');
        const [source = '', target = ''] = String(volume).split(':');
        expect(source, `${name}: ${volume} is a named volume`).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
        expect(declared, `${name}: volume ${source} is declared`).toContain(source);
        mounts[name] = [...(mounts[name] ?? []), target];
      }
    }
    expect(mounts).toEqual({
      mosquitto: ['/mosquitto/data', '/mosquitto/shared'],
      edge: ['/data'],
      dashboard: ['/data', '/broker'],
    });
  });

  it("hands the dashboard the broker's dashboard.env through one shared volume, read-only on its side", () => {
    expect(services.mosquitto?.volumes).toContain('broker-shared:/mosquitto/shared');
    expect(services.dashboard?.volumes).toContain('broker-shared:/broker:ro');
    expect(services.dashboard?.environment).toMatchObject({ ENV_FILE: '/broker/dashboard.env' });
  });

  it('lists no depends_on: a balena supervisor may never start a service whose dependency exited', () => {
    // On an edge-only device the broker exits 0 at once (FLEET_ROLE=edge); balena-supervisor#2409 left
    // its dependents unstarted. The edge and the dashboard wait for the broker by themselves instead.
    for (const [name, service] of Object.entries(services)) {
      expect(service.depends_on, `${name}.depends_on`).toBeUndefined();
    }
  });

  it('restarts a failed service, and leaves the broker and the dashboard stopped after their exit 0 on an edge-only device', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(RESTART_POLICIES, `${name}.restart`).toContain(service.restart);
      expect(service.restart, `${name}.restart`).not.toBe('no');
    }
    expect(services.mosquitto?.restart).toBe('on-failure');
    expect(services.dashboard?.restart).toBe('on-failure');
    expect(services.edge?.restart).toBe('unless-stopped');
  });

  it('publishes the TLS port of the production profile beside the development ones', () => {
    expect(services.mosquitto?.ports).toEqual(['1883:1883', '9001:9001', '8883:8883']);
  });

  it("lets the broker hold production.conf's 12 000 connections: each one is an open file", () => {
    expect(readRepoFile('cloud/mosquitto/production.conf')).toMatch(/^max_connections 12000$/m);
    expect(services.mosquitto?.ulimits).toEqual({ nofile: 16384 });
  });

  it('maps host port 8080 to the dashboard on container port 80', () => {
    expect(services.dashboard?.ports).toContain('8080:80');
    expect((services.dashboard?.environment ?? {}) as Record<string, string>).toMatchObject({ PORT: '80' });
  });

  it('names no device node that is missing here (Docker would refuse to create the container)', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const device of (service.devices ?? []) as string[]) {
        const host = device.split(':')[0] ?? '';
        expect(existsSync(host), `${name}: ${host} exists on this machine`).toBe(true);
      }
    }
  });

  it('holds no "$" in any value (balena and Docker Compose do not interpolate alike)', () => {
    expect(strings(compose).filter((text) => text.includes('$'))).toEqual([]);
  });

  it('has a health check for every service: the HEALTHCHECK of its image, not replaced here', () => {
    for (const [name, service] of Object.entries(services)) {
      const build = buildOf(service);
      const { stages } = parseDockerfile(readRepoFile(build?.dockerfile ?? ''));
      const healthcheck = stages.at(-1)?.instructions.find((i) => i.keyword === 'HEALTHCHECK');
      const command = healthcheck ? healthcheckCommand(healthcheck.args) : null;
      expect(command, `${name}: exec-form HEALTHCHECK CMD in ${build?.dockerfile}`).not.toBeNull();
      expect(command?.length ?? 0, `${name}: HEALTHCHECK runs a command`).toBeGreaterThan(0);
      expect(service.healthcheck, `${name}: no healthcheck override in docker-compose.yml`).toBeUndefined();
    }
  });
});

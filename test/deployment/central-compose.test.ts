import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { healthcheckCommand, parseDockerfile } from './helpers/dockerfile.js';
import {
  composeServices,
  DOCKER_COMPOSE,
  hasDockerCompose,
  readRepoFile,
  readYaml,
  repoPath,
  repoRoot,
} from './helpers/repo.js';

const FILE = 'cloud/docker-compose.yml';
const compose = readYaml(FILE);
const services = composeServices(compose);

/** A list-form environment as a map; a name without "=" is passed through from the shell (value undefined). */
function environment(name: string): Record<string, string | undefined> {
  const entries = (services[name]?.environment ?? []) as string[];
  return Object.fromEntries(
    entries.map((entry) => {
      const equals = entry.indexOf('=');
      return equals < 0 ? [entry, undefined] : [entry.slice(0, equals), entry.slice(equals + 1)];
    }),
  );
}

describe('cloud/docker-compose.yml (the central placement)', () => {
  const composeMissing = !hasDockerCompose();
  it.skipIf(composeMissing)(
    composeMissing
      ? `is accepted by docker-compose config (skipped: ${DOCKER_COMPOSE} is not installed)`
      : 'is accepted by docker-compose config',
    () => {
      const run = () =>
        execFileSync(DOCKER_COMPOSE, ['-f', FILE, 'config', '-q'], {
          cwd: repoRoot,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      expect(run).not.toThrow();
    },
  );

  it('runs the broker and the dashboard, built from the same Dockerfiles as the fleet app', () => {
    expect(Object.keys(services).sort()).toEqual(['dashboard', 'mosquitto']);
    expect(services.mosquitto?.build).toEqual({ context: '..', dockerfile: 'cloud/Dockerfile' });
    expect(services.dashboard?.build).toEqual({ context: '..', dockerfile: 'dashboard/Dockerfile' });
    const root = composeServices(readYaml('docker-compose.yml'));
    expect(services.mosquitto?.build).toMatchObject({ dockerfile: buildFile(root.mosquitto?.build) });
    expect(services.dashboard?.build).toMatchObject({ dockerfile: buildFile(root.dashboard?.build) });
  });

  it('puts both in the hub role: the production broker and its dashboard', () => {
    expect(environment('mosquitto')).toMatchObject({ FLEET_ROLE: 'hub' });
    expect('BROKER_HOSTNAMES' in environment('mosquitto')).toBe(true);
    expect(environment('mosquitto').BROKER_HOSTNAMES).toBeUndefined();
    expect(environment('dashboard')).toMatchObject({
      FLEET_ROLE: 'hub',
      PORT: '443',
      ENV_FILE: '/broker/dashboard.env',
      HTTPS_CERT: '/broker/https.crt',
      HTTPS_KEY: '/broker/https.key',
    });
    expect('ALLOWED_HOSTS' in environment('dashboard')).toBe(true);
  });

  it('opens MQTT over TLS and the dashboard over HTTPS (behind its login), and nothing else', () => {
    expect(services.mosquitto?.ports).toEqual(['8883:8883']);
    expect(services.dashboard?.ports).toEqual(['443:443']);
  });

  it("hands the dashboard the broker's dashboard.env through a shared volume, and mounts a certificate folder that exists", () => {
    expect(services.mosquitto?.volumes).toEqual([
      'mosquitto-data:/mosquitto/data',
      'broker-shared:/mosquitto/shared',
      './certs:/mosquitto/certs:ro',
    ]);
    expect(services.dashboard?.volumes).toEqual(['dashboard-data:/data', 'broker-shared:/broker:ro']);
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual([
      'broker-shared',
      'dashboard-data',
      'mosquitto-data',
    ]);
    expect(existsSync(repoPath('cloud/certs/README.md'))).toBe(true);
  });

  it("lets the broker hold production.conf's 12 000 connections", () => {
    expect(services.mosquitto?.ulimits).toEqual({ nofile: 16384 });
  });

  it('keeps private keys out of git and out of image builds', () => {
    expect(readRepoFile('.gitignore')).toMatch(/^cloud\/certs\/\*$/m);
    expect(readRepoFile('.dockerignore')).toMatch(/^cloud\/certs$/m);
  });

  it('restarts both by themselves and uses the health checks of the images', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, `${name}.restart`).toBe('unless-stopped');
      expect(service.healthcheck, `${name}: no healthcheck override`).toBeUndefined();
      const dockerfile = buildFile(service.build);
      const { stages } = parseDockerfile(readRepoFile(dockerfile));
      const healthcheck = stages.at(-1)?.instructions.find((i) => i.keyword === 'HEALTHCHECK');
      expect(
        healthcheck && healthcheckCommand(healthcheck.args),
        `${name}: HEALTHCHECK in ${dockerfile}`,
      ).toBeTruthy();
    }
  });
});

function buildFile(build: unknown): string {
  return (build as { dockerfile: string }).dockerfile;
}

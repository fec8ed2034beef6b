import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository root (this file is test/deployment/helpers/repo.ts). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

// biome-ignore lint/suspicious/noExplicitAny: a compose file is free-form YAML; the tests check its shape.
export type Yaml = Record<string, any>;

export function readYaml(...parts: string[]): Yaml {
  return parse(readRepoFile(...parts)) as Yaml;
}

export interface ComposeService {
  build?: { context?: string; dockerfile?: string } | string;
  [field: string]: unknown;
}

export function composeServices(compose: Yaml): Record<string, ComposeService> {
  return compose.services as Record<string, ComposeService>;
}

/** The build context and Dockerfile of a service, relative to the repository root. */
export function buildOf(service: ComposeService): { context: string; dockerfile: string } | null {
  if (!service.build) return null;
  if (typeof service.build === 'string')
    return { context: service.build, dockerfile: join(service.build, 'Dockerfile') };
  const context = service.build.context ?? '.';
  return { context, dockerfile: join(context, service.build.dockerfile ?? 'Dockerfile') };
}

/** Debian's docker-compose (v1), when installed. */
export const DOCKER_COMPOSE = '/usr/bin/docker-compose';

export function hasDockerCompose(): boolean {
  if (!existsSync(DOCKER_COMPOSE)) return false;
  try {
    execFileSync(DOCKER_COMPOSE, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerignore, execForm, parseCopy, parseDockerfile, type Stage } from './helpers/dockerfile.js';
import { buildOf, composeServices, readRepoFile, readYaml, repoPath, repoRoot } from './helpers/repo.js';

const services = composeServices(readYaml('docker-compose.yml'));
const ignored = dockerignore(readRepoFile('.dockerignore'));

/**
 * The Node services this project builds: their Dockerfile (by compose service), their workspace, the
 * compiled entry the image runs (as CMD names it), the service name in its log lines, and its DATA_DIR.
 */
const NODE_SERVICES = [
  {
    name: 'edge',
    workspace: 'edge',
    entry: 'edge/dist/main.js',
    cmd: 'edge/dist/main.js',
    source: 'edge/src/main.ts',
    logService: 'edge',
    dataDir: '/data',
  },
  {
    name: 'dashboard',
    workspace: 'dashboard',
    entry: 'dashboard/dist/main.js',
    cmd: 'dashboard/dist/main.js',
    source: 'dashboard/src/main.ts',
    logService: 'dashboard',
    dataDir: '/data',
  },
  {
    name: 'mosquitto',
    workspace: 'cloud',
    entry: 'cloud/dist/broker/main.js',
    cmd: '/app/cloud/dist/broker/main.js',
    source: 'cloud/src/broker/main.ts',
    logService: 'broker',
    // Its default (cloud/src/broker/config.ts), so the image sets none.
    dataDir: null,
  },
] as const;

function stagesOf(serviceName: string): Stage[] {
  const build = buildOf(services[serviceName] ?? {});
  if (!build) throw new Error(`${serviceName} has no build in docker-compose.yml`);
  return parseDockerfile(readRepoFile(build.dockerfile)).stages;
}

function instructions(stage: Stage | undefined, keyword: string): string[] {
  return (stage?.instructions ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);
}

describe('.dockerignore', () => {
  it('leaves out dependencies, build output and local data, and keeps the sources', () => {
    for (const path of [
      'node_modules/zod',
      'edge/node_modules/x',
      'edge/dist/main.js',
      '.data/sim-001',
      '.git/HEAD',
    ]) {
      expect(ignored(path), `${path} is left out`).toBe(true);
    }
    expect(ignored('dashboard/tsconfig.tsbuildinfo'), 'build info is left out').toBe(true);
    for (const path of [
      'package.json',
      'package-lock.json',
      'edge/src/main.ts',
      'dashboard/web/static/index.html',
    ]) {
      expect(ignored(path), `${path} is kept`).toBe(false);
    }
  });
});

describe.each(Object.keys(services))('%s Dockerfile', (name) => {
  const build = buildOf(services[name] ?? {});

  it('copies only files that exist in the build context and that .dockerignore keeps', () => {
    const stages = stagesOf(name);
    const stageNames = new Set(stages.map((stage) => stage.name).filter(Boolean));
    let copies = 0;
    for (const stage of stages) {
      for (const args of [...instructions(stage, 'COPY'), ...instructions(stage, 'ADD')]) {
        const copy = parseCopy(args);
        if (copy.from) {
          expect(stageNames, `COPY --from=${copy.from} names a stage`).toContain(copy.from);
          continue;
        }
        for (const source of copy.sources) {
          const path = join(build?.context ?? '.', source).replace(/\/$/, '');
          expect(existsSync(repoPath(path)), `COPY source ${source} exists`).toBe(true);
          expect(ignored(path), `COPY source ${source} is not in .dockerignore`).toBe(false);
          copies += 1;
        }
      }
    }
    expect(copies).toBeGreaterThan(0);
  });
});

describe.each(NODE_SERVICES)(
  '$name image',
  ({ name, workspace, entry, cmd, source, logService, dataDir }) => {
    const stages = stagesOf(name);
    const runtime = stages.at(-1);

    it('builds on official Debian bookworm Node images: the full one to compile, the slim one to run', () => {
      expect(stages.length).toBeGreaterThanOrEqual(2);
      for (const stage of stages.slice(0, -1)) expect(stage.image).toMatch(/^node:\d+-bookworm$/);
      expect(runtime?.image).toMatch(/^node:\d+-bookworm-slim$/);
      for (const stage of stages) expect(stage.image).not.toMatch(/alpine|balenalib/);
    });

    it('installs with npm ci for its own workspaces and prunes dev dependencies from what runs', () => {
      const runs = stages.flatMap((stage) => instructions(stage, 'RUN'));
      const installs = runs.filter((run) => run.includes('npm ci'));
      expect(
        installs.some((run) => run.includes('--omit=dev') && run.includes(`--workspace ${workspace}`)),
      ).toBe(true);
      expect(installs.every((run) => run.includes('--workspace shared'))).toBe(true);
      expect(instructions(runtime, 'RUN').join(' ')).not.toMatch(/npm (ci|install)/);
      const copiedModules = instructions(runtime, 'COPY').find((args) => args.includes('node_modules'));
      const from = copiedModules ? parseCopy(copiedModules).from : null;
      const prodStage = stages.find((stage) => stage.name === from);
      expect(
        instructions(prodStage, 'RUN').join(' '),
        'node_modules come from a production install',
      ).toContain('--omit=dev');
    });

    it(`runs node ${entry} directly (process 1 gets SIGTERM), with DATA_DIR=${dataDir ?? 'its default'}`, () => {
      const command = instructions(runtime, 'CMD').at(-1);
      expect(command ? execForm(command) : null).toEqual(['node', cmd]);
      expect(instructions(runtime, 'ENTRYPOINT')).toEqual([]);
      if (dataDir) expect(instructions(runtime, 'ENV').join(' ')).toMatch(/\bDATA_DIR=\/data\b/);
      else expect(instructions(runtime, 'ENV').join(' ')).not.toMatch(/\bDATA_DIR=/);
      expect(existsSync(repoPath(source)), `${source} is what compiles to ${entry}`).toBe(true);
    });

    const built = existsSync(repoPath(entry));
    it.skipIf(!built)(
      built
        ? `runs a compiled entry that starts and refuses a bad variable in one line (${entry})`
        : `runs a compiled entry that starts (skipped: ${entry} is not built; run npm run build)`,
      () => {
        const run = spawnSync(process.execPath, [entry], {
          cwd: repoRoot,
          env: { PATH: process.env.PATH, LOG_LEVEL: 'chatty' },
          encoding: 'utf8',
          timeout: 15_000,
        });
        expect(run.status).toBe(1);
        const lines = run.stdout.trim().split('\n');
        expect(lines).toHaveLength(1);
        const line = JSON.parse(lines[0] ?? '{}') as { service?: string; msg?: string };
        expect(line.service).toBe(logService);
        expect(line.msg).toBe(
          'Environment variable LOG_LEVEL received "chatty"; accepted: one of fatal, error, warn, info, debug, trace, silent.',
        );
      },
    );
  },
);

describe('image users', () => {
  it('runs the dashboard as the unprivileged node user, owning /data', () => {
    const runtime = stagesOf('dashboard').at(-1);
    expect(instructions(runtime, 'USER').at(-1)).toBe('node');
    expect(instructions(runtime, 'RUN').join(' ')).toMatch(/chown node:node \/data/);
  });

  it('puts a fleet command in the dashboard image for its users and tokens, on the database in /data', () => {
    const runtime = stagesOf('dashboard').at(-1);
    const runs = instructions(runtime, 'RUN').join(' ');
    expect(runs).toContain(
      `printf '#!/bin/sh\\nexec node /app/dashboard/dist/cli/main.js --data-dir /data "$@"\\n' > /usr/local/bin/fleet`,
    );
    expect(existsSync(repoPath('dashboard/src/cli/main.ts'))).toBe(true);
  });

  it('keeps the broker service as root: Mosquitto drops to its own user by itself (see cloud/Dockerfile)', () => {
    const runtime = stagesOf('mosquitto').at(-1);
    expect(instructions(runtime, 'USER')).toEqual([]);
  });

  it('keeps the edge as root, for /dev/i2c-N and /sys/class/gpio (see edge/Dockerfile)', () => {
    const runtime = stagesOf('edge').at(-1);
    expect(instructions(runtime, 'USER')).toEqual([]);
  });
});

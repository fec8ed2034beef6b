import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { defaultMosquittoConfPath } from '../src/index.js';
import { dockerfileInstructions, healthcheckCommand, repoRoot } from './dockerfile-helpers.js';

const instructions = dockerfileInstructions();
const runs = instructions.filter((line) => line.startsWith('RUN ')).join('\n');

describe('cloud/Dockerfile', () => {
  it("builds on Node's Debian bookworm images and runs on the slim one", () => {
    const node = 'FROM node:$' + '{NODE_VERSION}';
    expect(instructions.filter((line) => line.startsWith('FROM '))).toEqual([
      `${node}-bookworm AS deps`,
      `${node}-bookworm AS build`,
      `${node}-bookworm-slim`,
    ]);
  });

  it("installs Debian's Mosquitto and links its dynamic security plugin to the path production.conf names", async () => {
    expect(runs).toContain('apt-get install -y --no-install-recommends mosquitto');
    const plugin = /^plugin (\S+)$/m.exec(
      await readFile(defaultMosquittoConfPath('production'), 'utf8'),
    )?.[1];
    expect(plugin).toBe('/usr/lib/mosquitto_dynamic_security.so');
    expect(runs).toContain(
      `ln -s "$(dpkg -L mosquitto | grep '/mosquitto_dynamic_security\\.so$')" ${plugin}`,
    );
  });

  it('copies both profiles, which exist in the build context, to /mosquitto/config/', () => {
    const copy = instructions.find((line) => line.includes('/mosquitto/config/'));
    expect(copy).toBe(
      'COPY cloud/mosquitto/development.conf cloud/mosquitto/production.conf /mosquitto/config/',
    );
    for (const source of ['cloud/mosquitto/development.conf', 'cloud/mosquitto/production.conf']) {
      expect(existsSync(`${repoRoot}${source}`), source).toBe(true);
    }
    expect(runs).toContain('mkdir -p /mosquitto/data /mosquitto/shared /mosquitto/certs');
  });

  it('exposes the ports of both profiles and runs the broker service with node, as process 1', () => {
    expect(instructions).toContain('EXPOSE 1883 9001 8883');
    expect(instructions).toContain('CMD ["node", "/app/cloud/dist/broker/main.js"]');
    expect(instructions.some((line) => line.startsWith('ENTRYPOINT') || line.startsWith('USER'))).toBe(false);
    expect(existsSync(`${repoRoot}cloud/src/broker/main.ts`)).toBe(true);
  });

  it('has a health check that runs the compiled cloud/src/broker/healthcheck.ts with node', () => {
    expect(healthcheckCommand()).toEqual(['node', '/app/cloud/dist/broker/healthcheck.js']);
    expect(existsSync(`${repoRoot}cloud/src/broker/healthcheck.ts`)).toBe(true);
  });

  it('puts a fleet command on PATH that runs the fleet CLI on the data volume', () => {
    expect(runs).toContain(
      `printf '#!/bin/sh\\nexec node /app/cloud/dist/fleet/main.js --data-dir /mosquitto/data "$@"\\n' > /usr/local/bin/fleet`,
    );
    expect(runs).toContain('chmod 755 /usr/local/bin/fleet');
  });
});

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerfileInstructions, repoRoot } from './dockerfile-helpers.js';

const instructions = dockerfileInstructions();

describe('cloud/Dockerfile', () => {
  it('is built FROM eclipse-mosquitto:2.0', () => {
    expect(instructions.filter((line) => line.startsWith('FROM '))).toEqual(['FROM eclipse-mosquitto:2.0']);
  });

  it('copies cloud/mosquitto/development.conf, which exists in the build context, to where Mosquitto reads it', () => {
    const copies = instructions.filter((line) => line.startsWith('COPY '));
    expect(copies).toEqual(['COPY cloud/mosquitto/development.conf /mosquitto/config/mosquitto.conf']);
    for (const copy of copies) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(`${repoRoot}${source}`), source).toBe(true);
    }
  });

  it('exposes the two ports the configuration listens on, and runs that configuration', () => {
    expect(instructions).toContain('EXPOSE 1883 9001');
    expect(instructions).toContain('CMD ["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"]');
  });

  it('has a health check that only talks to the broker on loopback', () => {
    const healthcheck = instructions.find((line) => line.startsWith('HEALTHCHECK '));
    expect(healthcheck).toMatch(/CMD \["mosquitto_sub", "-h", "127\.0\.0\.1", "-p", "1883",/);
  });
});

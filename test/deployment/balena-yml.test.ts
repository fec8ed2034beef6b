import { existsSync, readFileSync } from 'node:fs';
import { dashboardEnvSpec } from '@fleet/dashboard';
import { edgeEnvSpec } from '@fleet/edge';
import type { EnvSpec } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { brokerEnvSpec } from '../../cloud/src/broker/config.js';
import { readRepoFile, readYaml, repoPath } from './helpers/repo.js';

const balena = readYaml('balena.yml');

/** Raspberry Pi device types whose CPU the official node images are built for (arm64 or armv7). */
const PI_DEVICE_TYPES: Record<string, 'arm64' | 'armv7'> = {
  'raspberrypi4-64': 'arm64',
  raspberrypi5: 'arm64',
  'raspberrypi3-64': 'arm64',
  'raspberrypi0-2w-64': 'arm64',
  'raspberrypi400-64': 'arm64',
  'raspberrypicm4-ioboard': 'arm64',
  raspberrypi3: 'armv7',
  'raspberry-pi2': 'armv7',
};

/** Each service's environment variables, by name. */
const SERVICE_SPECS: Record<string, EnvSpec> = {
  edge: edgeEnvSpec,
  dashboard: dashboardEnvSpec,
  mosquitto: brokerEnvSpec,
};

function variablesOf(list: unknown): [string, string][] {
  expect(Array.isArray(list)).toBe(true);
  return (list as Record<string, unknown>[]).map((entry) => {
    const pairs = Object.entries(entry);
    expect(pairs, 'one variable per list entry').toHaveLength(1);
    const [name = '', value] = pairs[0] ?? [];
    return [name, String(value)];
  });
}

/** PNG width and height from its IHDR chunk. */
function pngSize(path: string): { width: number; height: number } {
  const bytes = readFileSync(path);
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('balena.yml', () => {
  it('names a sw.application with a description and a semantic version', () => {
    expect(balena.name).toBe('balena-sensor-fleet');
    expect(balena.type).toBe('sw.application');
    expect(String(balena.description).length).toBeGreaterThan(40);
    expect(String(balena.version)).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('points its repository and logo assets at the same repository', () => {
    const repository = String(balena.assets?.repository?.data?.url);
    const logo = String(balena.assets?.logo?.data?.url);
    expect(balena.assets?.repository?.type).toBe('blob.asset');
    expect(balena.assets?.logo?.type).toBe('blob.asset');
    const path = repository.match(/^https:\/\/github\.com\/([^/]+\/[^/]+)$/)?.[1];
    expect(path, `repository URL ${repository}`).toBeTruthy();
    expect(logo).toBe(`https://raw.githubusercontent.com/${path}/main/logo.png`);
    expect(readRepoFile('docs', 'balena.md')).toContain(repository);
  });

  it('ships the logo it names: a 512 × 512 PNG at the repository root', () => {
    expect(existsSync(repoPath('logo.png'))).toBe(true);
    expect(pngSize(repoPath('logo.png'))).toEqual({ width: 512, height: 512 });
  });

  it('supports Raspberry Pi types the images build for, the default among them', () => {
    const supported = balena.data?.supportedDeviceTypes as string[];
    expect(supported.length).toBeGreaterThan(0);
    for (const type of supported) expect(Object.keys(PI_DEVICE_TYPES), type).toContain(type);
    expect(supported).toContain(balena.data?.defaultDeviceType);
    expect(balena.data?.defaultDeviceType).toBe('raspberrypi4-64');
    expect(supported).toEqual(
      expect.arrayContaining(['raspberrypi5', 'raspberrypi3-64', 'raspberrypi0-2w-64']),
    );
  });

  it('sets only variables a service reads, each with a value that service accepts', () => {
    const variables = variablesOf(balena.data?.applicationEnvironmentVariables);
    expect(variables.length).toBeGreaterThan(0);
    for (const [name, value] of variables) {
      const readers = Object.entries(SERVICE_SPECS).flatMap(([service, spec]) =>
        Object.values(spec)
          .filter((variable) => variable.env === name)
          .map((variable) => ({ service, variable })),
      );
      expect(readers.length, `${name} is read by a service`).toBeGreaterThan(0);
      for (const { service, variable } of readers) {
        expect(variable.parse(value), `${service} accepts ${name}=${value}`).not.toBeUndefined();
      }
    }
  });

  it('writes out the device configuration with I²C on, keeping the balenaOS defaults', () => {
    const config = Object.fromEntries(variablesOf(balena.data?.applicationConfigVariables));
    for (const name of Object.keys(config)) expect(name).toMatch(/^BALENA_HOST_CONFIG_/);
    const dtparam = (config.BALENA_HOST_CONFIG_dtparam ?? '')
      .split(',')
      .map((item) => item.replace(/"/g, ''));
    expect(dtparam).toEqual(expect.arrayContaining(['i2c_arm=on', 'spi=on', 'audio=on']));
  });
});

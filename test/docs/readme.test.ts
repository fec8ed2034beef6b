import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brokerEnvSpec } from '../../cloud/src/broker/config.js';
import { dashboardEnvSpec } from '../../dashboard/src/config.js';
import { edgeEnvSpec } from '../../edge/src/config.js';
import { MESSAGE_KINDS } from '../../shared/src/index.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const readme = read('README.md');

describe('README', () => {
  it.each([
    ...Object.values(edgeEnvSpec).map((v) => ['edge', v.env] as const),
    ...Object.values(dashboardEnvSpec).map((v) => ['dashboard', v.env] as const),
    ...Object.values(brokerEnvSpec).map((v) => ['mosquitto', v.env] as const),
  ])('lists the %s variable %s in the environment variable table', (service, name) => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    expect(row, `a table row for ${name}`).toBeDefined();
    expect(row?.split('|')[2]).toContain(service);
  });

  it('gives the run and test commands first, and .ci/run runs that same test command', () => {
    const firstCommands = [...readme.matchAll(/```sh\n(.+)\n```/g)].slice(0, 2).map((m) => m[1]);
    expect(firstCommands).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    expect(read('.ci/run').trim().split('\n').at(-1)).toBe('npm ci && npm test');
  });
});

describe('docs/mqtt-contract.md', () => {
  it.each(MESSAGE_KINDS)('documents the devices/{id}/%s topic', (kind) => {
    expect(read('docs/mqtt-contract.md')).toContain(`\`devices/{id}/${kind}\``);
  });
});

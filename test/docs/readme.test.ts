import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brokerEnvSpec } from '../../cloud/src/broker/config.js';
import { dashboardEnvSpec } from '../../dashboard/src/config.js';
import { apiDocument, documentedRoutes } from '../../dashboard/test/server/api-document.js';
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

describe('README: the limits of the production broker', () => {
  const conf = read('cloud/mosquitto/production.conf');
  const setting = (name: string) => new RegExp(`^${name} (\\S+)$`, 'm').exec(conf)?.[1];

  it('states the limits production.conf sets', () => {
    expect([setting('max_packet_size'), setting('max_connections')]).toEqual(['65536', '12000']);
    expect([setting('persistent_client_expiration'), setting('max_queued_bytes')]).toEqual([
      '7d',
      '67108864',
    ]);
    const section = readme.slice(readme.indexOf('## The production broker'));
    expect(section).toContain('a packet over 64 KiB is refused');
    expect(section).toContain('at most 12 000 connections');
    expect(section).toContain('dropped after 7 days');
    expect(section).toContain('at most 64 MiB of\n  payload bytes, per client');
  });
});

describe('README: the REST API table', () => {
  /** `METHOD /path` of every code span that starts a row of the table (query strings left out). */
  const tableRoutes = () => {
    const section = readme.slice(
      readme.indexOf('## REST API'),
      readme.indexOf('\n## ', readme.indexOf('## REST API') + 1),
    );
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));
    return rows.flatMap((row) => {
      const first = row.replace(/\\\|/g, '').split('|')[1] ?? '';
      return [...first.matchAll(/`([A-Z]+) ([^`?\s]+)[^`]*`/g)].map((m) => `${m[1]} ${m[2]}`);
    });
  };

  it('names every route of the API document, and only those', async () => {
    const document = await apiDocument();
    const documented = documentedRoutes(document).sort();
    const table = tableRoutes().sort();
    expect(documented.length).toBeGreaterThan(15);
    expect(
      table.filter((route) => !documented.includes(route)),
      'in the table, not in the document',
    ).toEqual([]);
    expect(
      documented.filter((route) => !table.includes(route)),
      'in the document, not in the table',
    ).toEqual([]);
    expect(new Set(table).size, 'each route once').toBe(table.length);
  });
});

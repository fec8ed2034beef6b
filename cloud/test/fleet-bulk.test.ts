import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseDeviceCredentials } from '@fleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkArguments } from '../src/fleet/bulk-commands.js';
import { runFleet } from '../src/fleet/cli.js';
import {
  adminConnection,
  DynsecAdmin,
  hasMosquitto,
  type SecureBrokerHandle,
  startSecureMosquitto,
} from '../src/index.js';
import { connectClient, endClients, quietLogger } from './mqtt-helpers.js';
import { reachableTempDir } from './secure-helpers.js';

async function fleet(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const err: string[] = [];
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const code = await runFleet(argv, { stdout, stderr, env: {} });
  return { code, stderr: err.join('') };
}

describe('fleet device add-many / remove-many arguments', () => {
  it.each([
    [
      ['device', 'add-many', '--out', 'f'],
      'Option --devices received "nothing"; accepted: a whole number from 1 to 50000.',
    ],
    [
      ['device', 'add-many', '--devices', '3'],
      'Option --out received "nothing"; accepted: the file to write the credentials to.',
    ],
    [
      ['device', 'add-many', '--devices', '2', '--prefix', 'a/', '--out', 'f'],
      'Option --prefix received "a/", which makes device id "a/00001"; accepted: a prefix that makes 1 to 64 characters: letters, digits, "_", "." or "-", starting with a letter or digit.',
    ],
    [
      ['device', 'remove-many', '--devices', '2', '--out', 'f'],
      'Option --out is not accepted by "device remove-many"; accepted: --devices, --prefix, --first.',
    ],
    [
      ['device', 'add-many', '--count', '2'],
      'Option --count is not accepted; accepted options: --data-dir, --devices, --prefix, --first, --out.',
    ],
  ])('%j → one sentence', (argv, error) => {
    expect(bulkArguments(argv, '.data')).toEqual({ kind: 'error', error });
  });

  it('leaves other commands to the rest of the CLI', () => {
    expect(bulkArguments(['device', 'add', 'x'], '.data')).toBeNull();
    expect(bulkArguments(['device', 'list'], '.data')).toBeNull();
  });
});

describe.skipIf(!hasMosquitto())('fleet device add-many against the production broker', () => {
  let broker: SecureBrokerHandle;
  let dir: string;
  let dataDir: string;

  beforeAll(async () => {
    dir = await reachableTempDir('fleet-bulk-');
    dataDir = join(dir, 'data');
    broker = await startSecureMosquitto({ dataDir, logger: quietLogger, hostnames: ['localhost'] });
  });
  afterAll(async () => {
    await endClients();
    await broker?.stop();
  });

  const login = (line: { deviceId: string; username: string; password: string }) =>
    connectClient('', {
      host: '127.0.0.1',
      port: broker.port,
      protocol: 'mqtts',
      ca: broker.caCertPem,
      servername: 'localhost',
      username: line.username,
      password: line.password,
      clientId: `edge-${line.deviceId}`,
      reconnectPeriod: 0,
    });

  it('makes a credential per device in a file of mode 600, keeps them when run again, and revokes them', async () => {
    const out = join(dir, 'sim.csv');
    const first = await fleet(['--data-dir', dataDir, 'device', 'add-many', '--devices', '60', '--out', out]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stderr).toContain('60 new credential(s) and 0 kept for sim-00001…sim-00060');
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const lines = parseDeviceCredentials(await readFile(out, 'utf8'), out);
    expect([...lines.keys()].slice(0, 2)).toEqual(['sim-00001', 'sim-00002']);
    expect(lines.size).toBe(60);
    // Two chunks of the plugin's messages: the first and the last device both log in with their own.
    await login(lines.get('sim-00001') as never);
    await login(lines.get('sim-00060') as never);

    const again = await fleet(['--data-dir', dataDir, 'device', 'add-many', '--devices', '62', '--out', out]);
    expect(again.stderr).toContain('2 new credential(s) and 60 kept');
    const after = parseDeviceCredentials(await readFile(out, 'utf8'), out);
    expect(after.get('sim-00001')).toEqual(lines.get('sim-00001'));
    expect(after.size).toBe(62);

    const elsewhere = join(dir, 'other.csv');
    const orphan = await fleet([
      '--data-dir',
      dataDir,
      'device',
      'add-many',
      '--devices',
      '2',
      '--out',
      elsewhere,
    ]);
    expect(orphan.code).toBe(1);
    expect(orphan.stderr).toContain(
      `2 of these devices already have a credential on the broker that ${elsewhere} does not hold`,
    );
    await expect(stat(elsewhere)).rejects.toThrow(/ENOENT/);

    const removed = await fleet(['--data-dir', dataDir, 'device', 'remove-many', '--devices', '62']);
    expect(removed).toMatchObject({ code: 0 });
    expect(removed.stderr).toContain('Removed 62 credential(s)');
    const admin = await DynsecAdmin.connect((await adminConnection(dataDir)).options);
    try {
      expect((await admin.listDevices()).filter((id) => id.startsWith('sim-'))).toEqual([]);
    } finally {
      await admin.close();
    }
    await expect(login(lines.get('sim-00002') as never)).rejects.toThrow();
  });

  it('refuses a credentials file that is not one', async () => {
    const out = join(dir, 'bad.csv');
    await writeFile(out, 'id;password\n');
    const result = await fleet(['--data-dir', dataDir, 'device', 'add-many', '--devices', '1', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `${out} line 1 is "id;password"; accepted: the header "device_id,username,password" first.\n`,
    );
  });
});

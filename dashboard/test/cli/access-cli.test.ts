import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseEnvFile } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAccessArgs } from '../../src/cli/args.js';
import { runAccess } from '../../src/cli/run.js';
import { TokenStore, UserStore } from '../../src/index.js';
import { ManualClock, openStore, tempDir } from '../server/fixtures.js';

const FLEET_MAIN = fileURLToPath(new URL('../../../cloud/dist/fleet/main.js', import.meta.url));
const clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));

/** Runs the command in this process; `input` is standard input (a pipe), or a terminal when undefined. */
async function access(argv: string[], dataDir: string, input?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough().on('data', (chunk) => out.push(String(chunk)));
  const stderr = new PassThrough().on('data', (chunk) => err.push(String(chunk)));
  const stdin = { isTTY: input === undefined, readAll: async () => input ?? '' };
  const code = await runAccess(['--data-dir', dataDir, ...argv], { stdout, stderr, stdin, clock }, dataDir);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('fleet user|token arguments', () => {
  it.each([
    [['users', 'list'], 'Command "users" is not accepted; accepted: user, token, backup (see --help).'],
    [
      ['user', 'rename', 'a'],
      'Command "user rename" is not accepted; accepted: user add, user remove, user list, user passwd.',
    ],
    [['user', 'add'], 'Command "user add" received no name; accepted: a name after it.'],
    [
      ['user', 'add', 'bob'],
      'Command "user add" received no --role; accepted: --role with one of viewer, operator, admin.',
    ],
    [['token', 'revoke'], 'Command "token revoke" received no token id; accepted: a token id after it.'],
    [['user', 'list', 'x'], 'Command "user list" received "x", which it does not take.'],
    [
      ['user', 'list', '--verbose'],
      'Option --verbose is not accepted; accepted options: --data-dir, --role, --help.',
    ],
  ])('%j → one sentence', (argv, error) => {
    expect(parseAccessArgs(argv, '/data')).toEqual({ kind: 'error', error });
  });
});

describe('fleet user|token on the dashboard database', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => {
    dir = await tempDir();
    openStore(dir.path).close(); // the dashboard has started once: its database exists
  });
  afterEach(async () => {
    await dir.remove();
  });

  const withStores = <T>(use: (users: UserStore, tokens: TokenStore) => T): T => {
    const store = openStore(dir.path);
    try {
      return use(new UserStore(store.database, clock), new TokenStore(store.database, clock));
    } finally {
      store.close();
    }
  };

  it('adds a user with the password on standard input, who can then log in', async () => {
    const result = await access(
      ['user', 'add', 'alice', '--role', 'operator'],
      dir.path,
      'alice password 1\n',
    );
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: 'Added user alice (operator).\n' });
    const user = await withStores((users) => users.verify('alice', 'alice password 1'));
    expect(user).toMatchObject({ username: 'alice', role: 'operator', mustChangePassword: false });
  });

  it('at a terminal, generates the password, prints it once, and asks for a change at the first login', async () => {
    const result = await access(['user', 'add', 'bob', '--role', 'admin'], dir.path);
    expect(result.code).toBe(0);
    const printed = parseEnvFile(result.stdout, 'stdout');
    expect(printed.DASHBOARD_USER).toBe('bob');
    expect(printed.DASHBOARD_PASSWORD).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(result.stderr).toContain('must be changed at the first login');
    const user = await withStores((users) => users.verify('bob', printed.DASHBOARD_PASSWORD ?? ''));
    expect(user?.mustChangePassword).toBe(true);
  });

  it('lists, changes the password of, and removes users; refuses what is not accepted in one line', async () => {
    await access(['user', 'add', 'carol', '--role', 'viewer'], dir.path, 'carol password\n');
    expect((await access(['user', 'list'], dir.path)).stdout).toMatch(
      /^carol\tviewer\tadded 2026-12-01T10:00:00.000Z\n$/,
    );
    expect((await access(['user', 'passwd', 'carol'], dir.path, 'new carol password')).code).toBe(0);
    expect(await withStores((users) => users.verify('carol', 'new carol password'))).not.toBeNull();
    const short = await access(['user', 'add', 'dave', '--role', 'viewer'], dir.path, 'short\n');
    expect(short).toMatchObject({
      code: 1,
      stderr: 'The password received 5 characters; accepted: 10 to 200 characters.\n',
    });
    const role = await access(['user', 'add', 'dave', '--role', 'root'], dir.path, 'dave password\n');
    expect(role.stderr).toBe('Role "root" is not accepted; accepted: one of viewer, operator, admin.\n');
    expect((await access(['user', 'remove', 'carol'], dir.path)).stderr).toContain('Removed user carol');
    expect((await access(['user', 'remove', 'carol'], dir.path)).stderr).toBe(
      'User "carol" does not exist.\n',
    );
  });

  it('prints a new API token once, which then authenticates until it is revoked', async () => {
    const added = await access(['token', 'add', 'grafana', '--role', 'viewer'], dir.path);
    const token = added.stdout.trim();
    expect(token).toMatch(/^fleet_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const id = token.split('_')[1] ?? '';
    expect(withStores((_users, tokens) => tokens.verify(token))).toMatchObject({
      name: 'grafana',
      role: 'viewer',
    });
    expect((await access(['token', 'list'], dir.path)).stdout).toContain(`${id}\tgrafana\tviewer\tactive`);
    expect((await access(['token', 'revoke', id], dir.path)).code).toBe(0);
    expect(withStores((_users, tokens) => tokens.verify(token))).toBeNull();
  });

  it('says where to run it when the folder holds no dashboard database, and creates nothing', async () => {
    const result = await access(['user', 'list'], join(dir.path, 'elsewhere'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `There is no dashboard database at ${join(dir.path, 'elsewhere', 'dashboard.sqlite')}`,
    );
  });

  it('runs as `npm run fleet -- --data-dir DIR user add …`, with the password piped in', async () => {
    const launcherData = join(dir.path, 'launcher');
    openStore(join(launcherData, 'dashboard')).close();
    const child = spawn(
      process.execPath,
      [FLEET_MAIN, '--data-dir', launcherData, 'user', 'add', 'erin', '--role', 'viewer'],
      {
        env: { PATH: process.env.PATH },
      },
    );
    const err: string[] = [];
    child.stderr.on('data', (chunk) => err.push(String(chunk)));
    child.stdin.end('erin password 1\n');
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
    expect(err.join('')).toBe('Added user erin (viewer).\n');
    const store = openStore(join(launcherData, 'dashboard'));
    try {
      expect(await new UserStore(store.database, clock).verify('erin', 'erin password 1')).not.toBeNull();
    } finally {
      store.close();
    }
  });
});

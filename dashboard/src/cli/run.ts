import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { type Clock, createLogger, formatEnvFile } from '@fleet/shared';
import { type AccessStores, pgAccessStores, sqliteAccessStores } from '../access/access-stores.js';
import { generatePassword } from '../access/passwords.js';
import type { Tokens } from '../access/token-store.js';
import { checkRole, UserError, type Users } from '../access/user-store.js';
import { DATABASE_FILE } from '../config.js';
import { migrate } from '../storage/postgres/migrations.js';
import { createPool, maskDatabaseUrl } from '../storage/postgres/pool.js';
import { TelemetryStore } from '../storage/telemetry-store.js';
import { ACCESS_USAGE, type AccessCommand, parseAccessArgs } from './args.js';

export interface AccessIo {
  stdout: Writable;
  stderr: Writable;
  /** Standard input: a password is read from it when it is not a terminal. */
  stdin: { isTTY: boolean; readAll(): Promise<string> };
  clock: Clock;
}

type Run = Extract<AccessCommand, { kind: 'run' }>;

/**
 * `fleet user …` / `fleet token …`: resolves with the exit code; every failure is one sentence on stderr.
 * With `databaseUrl` (DATABASE_URL, as the dashboard has it) the users and tokens are PostgreSQL's, else the
 * SQLite file's in the data folder.
 */
export async function runAccess(
  argv: readonly string[],
  io: AccessIo,
  defaultDataDir: string,
  databaseUrl?: string,
): Promise<number> {
  const parsed = parseAccessArgs(argv, defaultDataDir);
  if (parsed.kind === 'help') {
    io.stdout.write(`${ACCESS_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.stderr.write(`${parsed.error}\n`);
    return 1;
  }
  if (databaseUrl) return runOnPostgres(parsed, io, databaseUrl);
  const path = join(parsed.dataDir, DATABASE_FILE);
  if (!existsSync(path)) {
    io.stderr.write(
      `There is no dashboard database at ${path}; run this where the dashboard keeps its data (--data-dir: its DATA_DIR), after it has started once.\n`,
    );
    return 1;
  }
  const store = new TelemetryStore({ path, logger: createLogger('fleet', 'silent') });
  try {
    store.open();
    return await runCommand(parsed, sqliteAccessStores(store.database, io.clock), io);
  } finally {
    store.close();
  }
}

/** The command on PostgreSQL's users and tokens (the layout brought up to date first, as a replica does). */
async function runOnPostgres(parsed: Run, io: AccessIo, url: string): Promise<number> {
  const pool = createPool(url, 1);
  // An idle connection's error (the server going away) is the failed query's to say, not a crash.
  pool.on('error', () => undefined);
  try {
    try {
      await migrate(pool, createLogger('fleet', 'silent'));
    } catch (error) {
      io.stderr.write(
        `Could not open the PostgreSQL database ${maskDatabaseUrl(url)} (DATABASE_URL): ${(error as Error).message}\n`,
      );
      return 1;
    }
    return await runCommand(parsed, pgAccessStores(pool, io.clock), io);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

async function runCommand(parsed: Run, stores: AccessStores, io: AccessIo): Promise<number> {
  try {
    await (parsed.noun === 'user'
      ? userCommand(parsed, stores.users, io)
      : tokenCommand(parsed, stores.tokens, io));
    return 0;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 1;
  }
}

/** The password of `user add`/`user passwd`: standard input when it is not a terminal, else a generated one. */
async function passwordFor(io: AccessIo): Promise<{ password: string; generated: boolean }> {
  if (io.stdin.isTTY) return { password: generatePassword(), generated: true };
  const password = (await io.stdin.readAll()).replace(/\r?\n$/, '');
  if (password === '') {
    throw new UserError(
      'Standard input received nothing; accepted: the password on it (echo "$PASSWORD" | npm run fleet -- user add …), or run at a terminal to have one generated.',
    );
  }
  return { password, generated: false };
}

function printGenerated(io: AccessIo, username: string, password: string): void {
  io.stdout.write(formatEnvFile({ DASHBOARD_USER: username, DASHBOARD_PASSWORD: password }));
  io.stderr.write('The password is shown this once; it must be changed at the first login.\n');
}

async function userCommand(parsed: Run, users: Users, io: AccessIo): Promise<void> {
  const name = parsed.target ?? '';
  switch (parsed.action) {
    case 'add': {
      const role = checkRole(parsed.role);
      const { password, generated } = await passwordFor(io);
      await users.add(name, role, password, generated);
      io.stderr.write(`Added user ${name} (${role}).\n`);
      if (generated) printGenerated(io, name, password);
      return;
    }
    case 'passwd': {
      if (!(await users.get(name))) throw new UserError(`User ${JSON.stringify(name)} does not exist.`);
      const { password, generated } = await passwordFor(io);
      await users.setPassword(name, password, { mustChange: generated, keepSession: null });
      io.stderr.write(`Changed the password of ${name}; their sessions are ended.\n`);
      if (generated) printGenerated(io, name, password);
      return;
    }
    case 'remove':
      await users.remove(name);
      io.stderr.write(`Removed user ${name}; their sessions are ended.\n`);
      return;
    default: {
      const list = await users.list();
      if (list.length === 0) io.stderr.write('No users yet.\n');
      for (const user of list) {
        const note = user.mustChangePassword ? '  (must change the password)' : '';
        io.stdout.write(`${user.username}\t${user.role}\tadded ${user.createdAt.toISOString()}${note}\n`);
      }
    }
  }
}

async function tokenCommand(parsed: Run, tokens: Tokens, io: AccessIo): Promise<void> {
  switch (parsed.action) {
    case 'add': {
      const role = checkRole(parsed.role);
      const { token, info } = await tokens.create(parsed.target ?? '', role, 'fleet CLI');
      io.stdout.write(`${token}\n`);
      io.stderr.write(
        `Added API token ${info.id} "${info.name}" (${role}); send it as "Authorization: Bearer <token>". It is shown this once.\n`,
      );
      return;
    }
    case 'revoke':
      await tokens.revoke(parsed.target ?? '');
      io.stderr.write(`Revoked API token ${parsed.target}.\n`);
      return;
    default: {
      const list = await tokens.list();
      if (list.length === 0) io.stderr.write('No API tokens yet.\n');
      for (const token of list) {
        const state = token.revokedAt ? `revoked ${token.revokedAt.toISOString()}` : 'active';
        const used = token.lastUsedAt ? `last used ${token.lastUsedAt.toISOString()}` : 'never used';
        io.stdout.write(
          `${token.id}\t${token.name}\t${token.role}\t${state}\t${used}\tby ${token.createdBy}\n`,
        );
      }
    }
  }
}

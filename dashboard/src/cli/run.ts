import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { type Clock, createLogger, formatEnvFile } from '@fleet/shared';
import { generatePassword } from '../access/passwords.js';
import { TokenStore } from '../access/token-store.js';
import { checkRole, UserError, UserStore } from '../access/user-store.js';
import { DATABASE_FILE } from '../config.js';
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

/** `fleet user …` / `fleet token …`: resolves with the exit code; every failure is one sentence on stderr. */
export async function runAccess(
  argv: readonly string[],
  io: AccessIo,
  defaultDataDir: string,
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
    const users = new UserStore(store.database, io.clock);
    const tokens = new TokenStore(store.database, io.clock);
    await (parsed.noun === 'user' ? userCommand(parsed, users, io) : tokenCommand(parsed, tokens, io));
    return 0;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 1;
  } finally {
    store.close();
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

async function userCommand(parsed: Run, users: UserStore, io: AccessIo): Promise<void> {
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
      if (!users.get(name)) throw new UserError(`User ${JSON.stringify(name)} does not exist.`);
      const { password, generated } = await passwordFor(io);
      await users.setPassword(name, password, { mustChange: generated, keepSession: null });
      io.stderr.write(`Changed the password of ${name}; their sessions are ended.\n`);
      if (generated) printGenerated(io, name, password);
      return;
    }
    case 'remove':
      users.remove(name);
      io.stderr.write(`Removed user ${name}; their sessions are ended.\n`);
      return;
    default: {
      const list = users.list();
      if (list.length === 0) io.stderr.write('No users yet.\n');
      for (const user of list) {
        const note = user.mustChangePassword ? '  (must change the password)' : '';
        io.stdout.write(`${user.username}\t${user.role}\tadded ${user.createdAt.toISOString()}${note}\n`);
      }
    }
  }
}

async function tokenCommand(parsed: Run, tokens: TokenStore, io: AccessIo): Promise<void> {
  switch (parsed.action) {
    case 'add': {
      const role = checkRole(parsed.role);
      const { token, info } = tokens.create(parsed.target ?? '', role, 'fleet CLI');
      io.stdout.write(`${token}\n`);
      io.stderr.write(
        `Added API token ${info.id} "${info.name}" (${role}); send it as "Authorization: Bearer <token>". It is shown this once.\n`,
      );
      return;
    }
    case 'revoke':
      tokens.revoke(parsed.target ?? '');
      io.stderr.write(`Revoked API token ${parsed.target}.\n`);
      return;
    default: {
      const list = tokens.list();
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

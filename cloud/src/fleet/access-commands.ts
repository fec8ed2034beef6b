import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The dashboard's own command for users, API tokens and backups (dashboard/src/cli), which owns their database. */
export const ACCESS_CLI = fileURLToPath(new URL('../../../dashboard/dist/cli/main.js', import.meta.url));
const ACCESS_NOUNS = new Set(['user', 'token', 'backup']);

/**
 * For `fleet user …`, `fleet token …` and `fleet backup FILE`: the arguments for the dashboard's command, with `--data-dir DIR`
 * (the launcher's data folder, .data by default) turned into the dashboard's own folder, DIR/dashboard.
 * Null for any other command.
 */
export function accessArguments(argv: readonly string[], defaultDataDir: string): string[] | null {
  const rest: string[] = [];
  let dataDir = defaultDataDir;
  let noun: string | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (arg === '--data-dir') {
      dataDir = argv[index + 1] ?? '';
      index += 1;
    } else if (arg.startsWith('--data-dir=')) {
      dataDir = arg.slice('--data-dir='.length);
    } else {
      if (noun === undefined && !arg.startsWith('-')) noun = arg;
      rest.push(arg);
    }
  }
  if (!noun || !ACCESS_NOUNS.has(noun)) return null;
  return ['--data-dir', join(dataDir, 'dashboard'), ...rest];
}

/**
 * Runs the dashboard's command with those arguments, its standard input this process's (a password may come
 * on it), its output copied to `out` and `err`. Resolves with its exit code. Where the dashboard is not
 * installed (the broker's container), one sentence says where to run it instead.
 */
export function runAccessCommand(args: string[], out: Writable, err: Writable): Promise<number> {
  if (!existsSync(ACCESS_CLI)) {
    err.write(
      'User, token and backup commands run where the dashboard runs: docker compose exec dashboard fleet user …, or balena ssh <device> dashboard, then fleet user ….\n',
    );
    return Promise.resolve(1);
  }
  const child = spawn(process.execPath, [ACCESS_CLI, ...args], { stdio: ['inherit', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => out.write(chunk));
  child.stderr.on('data', (chunk) => err.write(chunk));
  return new Promise((resolve) => {
    child.once('error', (error) => {
      err.write(`The dashboard's command could not be run: ${error.message}.\n`);
      resolve(1);
    });
    child.once('close', (code) => resolve(code ?? 1));
  });
}

import { parseArgs } from 'node:util';
import { describeArgsError } from '@fleet/shared';
import { ROLE_ACCEPTED } from '../access/roles.js';

export const ACCESS_USAGE = `Usage: npm run fleet -- [--data-dir DIR] user add NAME --role viewer|operator|admin
       npm run fleet -- [--data-dir DIR] user remove NAME
       npm run fleet -- [--data-dir DIR] user list
       npm run fleet -- [--data-dir DIR] user passwd NAME
       npm run fleet -- [--data-dir DIR] token add NAME --role viewer|operator|admin
       npm run fleet -- [--data-dir DIR] token list
       npm run fleet -- [--data-dir DIR] token revoke ID
       (in the dashboard's container: fleet user add NAME --role admin, …)

Manages who may use the dashboard, in its database (DIR/dashboard.sqlite), also while it runs; with
DATABASE_URL set (as the dashboard has it), in that PostgreSQL database instead, shared by every replica.

  user add, user passwd   the password is read from standard input when that is not a terminal
                          (echo "$PASSWORD" | npm run fleet -- user add alice --role operator); at a terminal
                          one is generated and printed once, and must be changed at the first login
  user remove             removes the user and ends their sessions
  token add               prints a new API token (Authorization: Bearer …) once; only its hash is kept
  token revoke            refuses it from then on

Roles: viewer sees everything; operator also sends commands and firmware updates; admin also manages users,
tokens and devices.

Options:
  --data-dir DIR   the dashboard's data folder (its DATA_DIR: /data in its container)
  --help           this text`;

export type AccessCommand =
  | { kind: 'help' }
  | { kind: 'error'; error: string }
  | {
      kind: 'run';
      noun: 'user' | 'token';
      action: 'add' | 'remove' | 'list' | 'passwd' | 'revoke';
      target: string | null;
      role: string | null;
      dataDir: string;
    };

const ACTIONS = { user: ['add', 'remove', 'list', 'passwd'], token: ['add', 'list', 'revoke'] } as const;
const NEEDS_TARGET = new Set(['add', 'remove', 'passwd', 'revoke']);

/** `[--data-dir DIR] user|token ACTION [NAME] [--role ROLE]`; every problem is one sentence. */
export function parseAccessArgs(argv: readonly string[], defaultDataDir: string): AccessCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return { kind: 'error', error: describeArgsError(error as Error, ['data-dir', 'role', 'help']) };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const [noun, action, target, ...rest] = positionals;
  if (noun === 'device') {
    return {
      kind: 'error',
      error:
        'Device credentials are managed where the broker runs: docker compose exec mosquitto fleet device …, or npm run fleet -- device … next to npm start -- --secure.',
    };
  }
  if (noun !== 'user' && noun !== 'token') {
    return {
      kind: 'error',
      error: `Command ${JSON.stringify(noun ?? '')} is not accepted; accepted: user, token, backup (see --help).`,
    };
  }
  const actions: readonly string[] = ACTIONS[noun];
  if (!action || !actions.includes(action)) {
    return {
      kind: 'error',
      error: `Command "${noun} ${action ?? ''}" is not accepted; accepted: ${actions.map((a) => `${noun} ${a}`).join(', ')}.`,
    };
  }
  if (NEEDS_TARGET.has(action) && !target) {
    const what = noun === 'token' && action === 'revoke' ? 'a token id' : 'a name';
    return {
      kind: 'error',
      error: `Command "${noun} ${action}" received no ${what.slice(2)}; accepted: ${what} after it.`,
    };
  }
  const extra = NEEDS_TARGET.has(action) ? rest : [target, ...rest].filter(Boolean);
  if (extra.length > 0) {
    return {
      kind: 'error',
      error: `Command "${noun} ${action}" received ${JSON.stringify(extra.join(' '))}, which it does not take.`,
    };
  }
  if (action === 'add' && !values.role) {
    return {
      kind: 'error',
      error: `Command "${noun} add" received no --role; accepted: --role with ${ROLE_ACCEPTED}.`,
    };
  }
  const dataDir = values['data-dir'] ?? defaultDataDir;
  if (dataDir.trim() === '')
    return { kind: 'error', error: 'Option --data-dir received ""; accepted: a folder path.' };
  return {
    kind: 'run',
    noun,
    action: action as Extract<AccessCommand, { kind: 'run' }>['action'],
    target: NEEDS_TARGET.has(action) ? (target ?? null) : null,
    role: values.role ?? null,
    dataDir,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { 'data-dir': { type: 'string' }, role: { type: 'string' }, help: { type: 'boolean' } },
  });
}

// `fleet user …`, `fleet token …` and `fleet backup FILE` in the dashboard's container, and behind
// `npm run fleet -- user|token|backup …`: who may use the dashboard, and a copy of its database.
import { systemClock } from '@fleet/shared';
import { isBackupCommand, runBackup } from './backup-command.js';
import { runAccess } from './run.js';

const DEFAULT_DATA_DIR = '.data/dashboard';
const argv = process.argv.slice(2);
const stdin = {
  isTTY: process.stdin.isTTY === true,
  async readAll(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};
const code = isBackupCommand(argv)
  ? await runBackup(
      argv,
      { stdout: process.stdout, stderr: process.stderr },
      DEFAULT_DATA_DIR,
      process.env.DATABASE_URL || undefined,
    )
  : await runAccess(
      argv,
      { stdout: process.stdout, stderr: process.stderr, stdin, clock: systemClock },
      DEFAULT_DATA_DIR,
      // The dashboard's DATABASE_URL: users and tokens are then in PostgreSQL (empty: unset, as for the dashboard).
      process.env.DATABASE_URL || undefined,
    );
process.stdout.write('', () => process.exit(code));

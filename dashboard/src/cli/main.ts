// `fleet user …` and `fleet token …` in the dashboard's container, and behind `npm run fleet -- user|token …`:
// who may use the dashboard, in its database.
import { systemClock } from '@fleet/shared';
import { runAccess } from './run.js';

const stdin = {
  isTTY: process.stdin.isTTY === true,
  async readAll(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};
const code = await runAccess(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, stdin, clock: systemClock },
  '.data/dashboard',
);
process.stdout.write('', () => process.exit(code));

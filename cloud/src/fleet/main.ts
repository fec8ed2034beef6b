// `npm run fleet -- …` (and `fleet …` in the broker's container): device credentials on the production broker.
import { runFleet } from './cli.js';

const code = await runFleet(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.stdout.write('', () => process.exit(code));

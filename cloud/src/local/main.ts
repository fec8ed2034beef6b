// `npm start`: the whole fleet on this machine without Docker (see launcher.ts, and --help).
import { processIo, runLauncher } from './launcher.js';

const code = await runLauncher(process.argv.slice(2), process.env, processIo());
// Exit explicitly: nothing should be left, but a forgotten timer must not keep the terminal waiting.
process.stdout.write('', () => process.exit(code));

import { createServer } from 'node:net';
import { freePort } from '../free-port.js';
import type { PortChoice } from './args.js';

/** How many ports after a taken default are tried before letting the system pick one. */
const NEXT_PORTS_TRIED = 20;

/** A problem the launcher reports in one sentence before it exits with 1. */
export class LaunchError extends Error {
  override name = 'LaunchError';
}

/** Whether a listener could take `port` on `host` right now (it is opened and closed at once). */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The port to use for `what`: an explicit one if it is free (else a LaunchError), a default one or the
 * first free port after it. `avoid` holds ports already handed out in this run.
 */
export async function choosePort(
  choice: PortChoice,
  host: string,
  what: string,
  avoid: ReadonlySet<number> = new Set(),
): Promise<number> {
  if (choice.explicit) {
    if (!avoid.has(choice.port) && (await isPortFree(choice.port, host))) return choice.port;
    throw new LaunchError(
      `Port ${choice.port} on ${host} is already in use, so ${what} cannot listen there; choose another port.`,
    );
  }
  for (let port = choice.port; port < choice.port + NEXT_PORTS_TRIED && port <= 65535; port += 1) {
    if (!avoid.has(port) && (await isPortFree(port, host))) return port;
  }
  for (;;) {
    const port = await freePort(host);
    if (!avoid.has(port)) return port;
  }
}

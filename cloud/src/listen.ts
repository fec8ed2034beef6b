import type { Server } from 'node:net';

/** A port the broker wanted was taken: `code` and `port` let a caller retry with another one. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  readonly code = 'EADDRINUSE';

  constructor(
    readonly port: number,
    readonly host: string,
    what: string,
  ) {
    super(
      `Port ${port} on ${host} is already in use (EADDRINUSE), so ${what} cannot listen there; choose another port.`,
    );
  }
}

/** `server.listen` as a promise; a taken port becomes a PortInUseError naming `what` wanted it. */
export function listen(server: Server, port: number, host: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, host, what) : error);
    };
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Closes a server that may not be listening, dropping the connections it still has. */
export function closeServer(server: Server, connections: Set<{ destroy(): void }>): Promise<void> {
  for (const connection of connections) connection.destroy();
  connections.clear();
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}

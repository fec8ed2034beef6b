import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago: the OS picks one for a listener on port 0, which then closes. With
 * no `host` it listens on every interface, so the port is free for a broker bound to 0.0.0.0 too.
 */
export function freePort(host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close((error) => {
        if (error) reject(error);
        else if (port === undefined)
          reject(new Error(`Could not read the port the OS gave on ${host ?? 'every interface'}.`));
        else resolve(port);
      });
    });
  });
}

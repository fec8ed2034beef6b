import { createServer } from 'node:net';

/**
 * The ports this process was given lately. A port handed out is free again as soon as its probe closes, so
 * the OS may give it again to the next call, before the first caller has bound it: two services of one
 * test on one port (seen in CI as a Mosquitto whose TCP and WebSocket listeners got the same port). The
 * record is per process on purpose: that is the scope in which the ports must differ.
 */
const recent: number[] = [];
const REMEMBERED = 512;
const ATTEMPTS = 20;

/**
 * A TCP port that was free a moment ago and that this process was not given lately: the OS picks one for a
 * listener on port 0, which then closes. With no `host` it listens on every interface, so the port is free
 * for a broker bound to 0.0.0.0 too.
 */
export async function freePort(host?: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await probePort(host);
    if (!recent.includes(port) || attempt >= ATTEMPTS) {
      recent.push(port);
      if (recent.length > REMEMBERED) recent.shift();
      return port;
    }
  }
}

function probePort(host?: string): Promise<number> {
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

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP server that stands in for a webhook, ntfy, Slack or Telegram: it keeps every request and
 * answers `status` (200 unless a test changes it, per path prefix).
 */
export class Receiver {
  readonly received: Received[] = [];
  /** The status answered for paths starting with a key; 200 otherwise. */
  readonly statusFor = new Map<string, number>();
  private server: Server | null = null;
  base = '';

  async start(port = 0): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '';
        this.received.push({
          method: request.method ?? '',
          path,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        let status = 200;
        for (const [prefix, code] of this.statusFor) if (path.startsWith(prefix)) status = code;
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(status < 300 ? '{"ok":true}' : '{"ok":false,"description":"refused by the test"}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The requests to paths starting with `prefix`. */
  to(prefix: string): Received[] {
    return this.received.filter((request) => request.path.startsWith(prefix));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

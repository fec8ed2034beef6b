import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between clients and a broker that can stop passing what clients send (their PUBACKs, their
 * publishes) while still passing what the broker sends them: a client then receives and handles a message
 * whose acknowledgement the broker never gets, deterministically.
 */
export class TcpGate {
  private holding = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpGate> {
    let gate: TcpGate | null = null;
    const server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        gate?.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          gate?.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk) => {
        if (!gate?.holding) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => client.write(chunk));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the gate has no port');
    gate = new TcpGate(server, address.port);
    return gate;
  }

  /** While true, bytes from clients are dropped (the broker's still reach them). */
  holdUpstream(hold: boolean): void {
    this.holding = hold;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

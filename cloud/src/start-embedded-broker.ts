import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import aedesPersistence from 'aedes-persistence';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { type BrokerHandle, type BrokerLogger, brokerAddress, serializeLifecycle } from './broker-handle.js';
import { closeServer, listen } from './listen.js';

export interface EmbeddedBrokerOptions {
  /** MQTT-over-TCP port. */
  port: number;
  /** MQTT-over-WebSocket port. */
  wsPort: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  logger: BrokerLogger;
}

// aedes-persistence is CommonJS (`module.exports = factory`) but its types declare `export default`, which
// NodeNext reads as `exports.default`; at run time the default import is the factory itself.
const memoryPersistence = aedesPersistence as unknown as typeof aedesPersistence.default;

interface Running {
  broker: Aedes;
  servers: { server: Server; connections: Set<Socket> }[];
}

function trackConnections(server: Server): { server: Server; connections: Set<Socket> } {
  const connections = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  return { server, connections };
}

async function closeAll(running: Running): Promise<void> {
  await new Promise<void>((resolve) => running.broker.close(() => resolve()));
  await Promise.all(running.servers.map(({ server, connections }) => closeServer(server, connections)));
}

/**
 * An MQTT broker inside this process (aedes) on a TCP and a WebSocket port, for `npm start` without Docker and
 * as the test broker where Mosquitto is not installed. Retained messages and persistent sessions live in
 * memory and survive `stop()`/`start()`. A taken port rejects with a PortInUseError.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<BrokerHandle> {
  const { port, wsPort, logger } = options;
  const listenHost = options.host ?? '127.0.0.1';
  const clientHost = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
  const address = brokerAddress(clientHost, port, wsPort);
  const persistence = memoryPersistence();
  let running: Running | undefined;

  const startOnce = async () => {
    const broker = await Aedes.createBroker({ persistence });
    const tcp = trackConnections(createTcpServer(broker.handle));
    const httpServer = createHttpServer();
    const ws = trackConnections(httpServer);
    const wss = new WebSocketServer({ server: httpServer });
    wss.on('connection', (socket, request) => broker.handle(createWebSocketStream(socket), request));
    // The WebSocket server re-emits the HTTP server's errors; `listen` below reports them (e.g. a taken port).
    wss.on('error', (error) => logger.debug({ err: error }, 'WebSocket server error'));
    const attempt: Running = { broker, servers: [tcp, ws] };
    try {
      await listen(tcp.server, port, listenHost, 'the embedded MQTT broker (TCP)');
      await listen(ws.server, wsPort, listenHost, 'the embedded MQTT broker (WebSocket)');
    } catch (error) {
      await closeAll(attempt);
      throw error;
    }
    running = attempt;
    logger.info({ broker: 'aedes', url: address.url, wsUrl: address.wsUrl }, 'Embedded MQTT broker started');
  };
  const stopOnce = async () => {
    if (!running) return;
    await closeAll(running);
    running = undefined;
    logger.info({ broker: 'aedes', url: address.url }, 'Embedded MQTT broker stopped');
  };
  await startOnce();
  return {
    kind: 'aedes',
    ...address,
    ...serializeLifecycle(startOnce, stopOnce, () => running !== undefined),
  };
}

import type { ServerResponse } from 'node:http';
import type { Logger } from '@fleet/shared';
import type { DashboardEventMap, DashboardEventName } from '../api-types.js';
import type { DashboardEvents } from '../events.js';

const EVENT_NAMES: DashboardEventName[] = ['telemetry', 'status', 'ack', 'device'];
/** A client that does not read what it is sent is dropped past this much unsent data. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface SseHubOptions {
  events: DashboardEvents;
  logger: Logger;
  /** A comment line is sent this often so proxies and browsers keep the stream open (default 15 s). */
  heartbeatMs?: number;
}

/** The Server-Sent Events clients of `GET /api/events`, and what is broadcast to them. */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private unsubscribers: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly options: SseHubOptions) {}

  get size(): number {
    return this.clients.size;
  }

  start(): void {
    if (this.heartbeat) return;
    this.unsubscribers = EVENT_NAMES.map((name) =>
      this.options.events.on(name, (payload) => this.broadcast(name, payload)),
    );
    this.heartbeat = setInterval(() => this.writeAll(': heartbeat\n\n'), this.options.heartbeatMs ?? 15_000);
  }

  /** Ends every stream (the server is closing). */
  stop(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  /** Takes over a response: headers, then the events to come; `initial` are sent first, to this client only. */
  add(response: ServerResponse, initial: Array<[DashboardEventName, unknown]> = []): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 3000\n\n');
    for (const [name, payload] of initial) response.write(frame(name, payload));
    this.clients.add(response);
    this.options.logger.debug({ clients: this.clients.size }, 'Event stream opened');
    response.on('close', () => {
      this.clients.delete(response);
      this.options.logger.debug({ clients: this.clients.size }, 'Event stream closed');
    });
  }

  broadcast<K extends DashboardEventName>(name: K, payload: DashboardEventMap[K]): void {
    if (this.clients.size > 0) this.writeAll(frame(name, payload));
  }

  private writeAll(text: string): void {
    for (const client of this.clients) {
      if (client.writableLength > MAX_BUFFERED_BYTES) {
        this.options.logger.warn('Dropped an event stream client that does not keep up');
        this.clients.delete(client);
        client.destroy();
        continue;
      }
      client.write(text);
    }
  }
}

function frame(name: string, payload: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
}

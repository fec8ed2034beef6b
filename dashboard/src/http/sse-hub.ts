import type { ServerResponse } from 'node:http';
import type { Logger } from '@fleet/shared';
import type { DashboardEventMap, DashboardEventName } from '../api-types.js';
import type { DashboardEvents } from '../events.js';

const EVENT_NAMES: DashboardEventName[] = ['telemetry', 'status', 'ack', 'device', 'command'];
/** A client that does not read what it is sent is dropped past this much unsent data. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface SseHubOptions {
  events: DashboardEvents;
  logger: Logger;
  /** A comment line is sent this often so proxies and browsers keep the stream open (default 15 s). */
  heartbeatMs?: number;
}

/** Whose stream it is: checked at every heartbeat, and ended at once when its login session ends. */
export interface StreamOwner {
  /** The login session behind the stream, if any. */
  sessionId: string | null;
  /** False once the session or token behind the stream is no longer valid. */
  stillValid(): boolean;
}

const ANYONE: StreamOwner = { sessionId: null, stillValid: () => true };

/**
 * The Server-Sent Events clients of `GET /api/events`, and what is broadcast to them. A stream whose login
 * ends is closed: at once on logout (`endSession`), else at the next heartbeat.
 */
export class SseHub {
  private readonly clients = new Map<ServerResponse, StreamOwner>();
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
    this.heartbeat = setInterval(() => {
      this.endInvalid();
      this.writeAll(': heartbeat\n\n');
    }, this.options.heartbeatMs ?? 15_000);
  }

  /** Ends every stream (the server is closing). */
  stop(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const client of this.clients.keys()) client.end();
    this.clients.clear();
  }

  /** Ends at once the streams of a login session (logout). */
  endSession(sessionId: string): void {
    for (const [client, owner] of this.clients) {
      if (owner.sessionId === sessionId) this.end(client, 'its login session ended');
    }
  }

  /** Ends the streams whose session or token is no longer valid. */
  endInvalid(): void {
    for (const [client, owner] of this.clients) {
      let valid = false;
      try {
        valid = owner.stillValid();
      } catch (error) {
        this.options.logger.error({ err: error }, "Could not check an event stream's login");
      }
      if (!valid) this.end(client, 'its login or API token is no longer valid');
    }
  }

  private end(client: ServerResponse, why: string): void {
    this.clients.delete(client);
    client.end();
    this.options.logger.debug({ clients: this.clients.size, why }, 'Event stream ended');
  }

  /** Takes over a response: headers, then the events to come; `initial` are sent first, to this client only. */
  add(
    response: ServerResponse,
    initial: Array<[DashboardEventName, unknown]> = [],
    owner: StreamOwner = ANYONE,
  ): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 3000\n\n');
    for (const [name, payload] of initial) response.write(frame(name, payload));
    this.clients.set(response, owner);
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
    for (const client of this.clients.keys()) {
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

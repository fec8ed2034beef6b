import type { ServerResponse } from 'node:http';
import type { Logger } from '@fleet/shared';
import type { DashboardEvents } from '../events.js';
import type { Fleet } from '../fleet/fleet.js';
import { DEVICE_EVENT_NAMES, DeviceFeed } from './stream/device-feed.js';
import { FleetFeed } from './stream/fleet-feed.js';
import { Frames } from './stream/frames.js';
import { ANYONE, StreamClient, type StreamOwner, type StreamRequest } from './stream/stream-client.js';

export type { StreamOwner, StreamRequest } from './stream/stream-client.js';

/** A client that does not read what it is sent is dropped past this much unsent data. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
export const EVENT_STREAM_MAX_CLIENTS_DEFAULT = 2000;

export interface SseHubOptions {
  events: DashboardEvents;
  fleet: Pick<Fleet, 'counts' | 'rows' | 'row' | 'summary'>;
  logger: Logger;
  /** A comment line is sent this often so proxies and browsers keep the stream open (default 15 s). */
  heartbeatMs?: number;
  /** Least time between two `fleet` events (default 1 s). */
  fleetIntervalMs?: number;
  /** Clients at most (EVENT_STREAM_MAX_CLIENTS, default 2000). */
  maxClients?: number;
  /** Unsent data past which a client is dropped (default 1 MiB, plus what it was sent at open). */
  maxBufferedBytes?: number;
}

/**
 * The Server-Sent Events clients of `GET /api/events`: each gets the fleet feed of its mode (FleetFeed) and
 * the events of the device it watches (DeviceFeed), each event serialised once for all its clients. A client
 * that does not keep up is dropped; their number is bounded (`isFull`). A stream whose login ends is closed:
 * at once on logout (`endSession`), else at the next heartbeat.
 */
export class SseHub {
  readonly frames = new Frames();
  private readonly clients = new Set<StreamClient>();
  private readonly fleetClients = { rows: new Set<StreamClient>(), counts: new Set<StreamClient>() };
  private readonly fleetFeed: FleetFeed;
  private readonly deviceFeed: DeviceFeed;
  private unsubscribers: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | null = null;
  private refusing = false;

  constructor(private readonly options: SseHubOptions) {
    this.fleetFeed = new FleetFeed({
      fleet: options.fleet,
      frames: this.frames,
      intervalMs: options.fleetIntervalMs ?? 1000,
      wanted: (mode) => this.fleetClients[mode].size > 0,
      send: (mode, text) => {
        for (const client of [...this.fleetClients[mode]]) this.send(client, text);
      },
    });
    this.deviceFeed = new DeviceFeed({
      frames: this.frames,
      send: (client, text) => this.send(client, text),
    });
  }

  get size(): number {
    return this.clients.size;
  }

  /** The most clients served at once. */
  get maxClients(): number {
    return this.options.maxClients ?? EVENT_STREAM_MAX_CLIENTS_DEFAULT;
  }

  /** True when one more client would be over the bound (logged once each time the bound is reached). */
  isFull(): boolean {
    const full = this.clients.size >= this.maxClients;
    if (full && !this.refusing) {
      this.options.logger.warn(
        { clients: this.clients.size, max: this.maxClients },
        'Event stream clients at their bound (EVENT_STREAM_MAX_CLIENTS): new ones are refused with 503',
      );
    }
    this.refusing = full;
    return full;
  }

  start(): void {
    if (this.heartbeat) return;
    const { events } = this.options;
    this.unsubscribers = [
      ...DEVICE_EVENT_NAMES.map((name) =>
        events.on(name, (payload) => this.deviceFeed.publish(name, payload as never)),
      ),
      events.on('device', (summary) => this.fleetFeed.deviceChanged(summary.device_id)),
      events.on('forgotten', ({ device_id }) => this.fleetFeed.deviceForgotten(device_id)),
    ];
    this.fleetFeed.start();
    this.heartbeat = setInterval(() => {
      this.endInvalid();
      for (const client of [...this.clients]) this.send(client, ': heartbeat\n\n');
    }, this.options.heartbeatMs ?? 15_000);
  }

  /** Ends every stream (the server is closing). */
  stop(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    this.fleetFeed.stop();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const client of [...this.clients]) {
      this.forget(client);
      client.response.end();
    }
  }

  /** Sends the `fleet` events due now, without waiting for the interval (tests, benchmarks). */
  flushFleet(): void {
    this.fleetFeed.update();
  }

  /** Ends at once the streams of a login session (logout). */
  endSession(sessionId: string): void {
    for (const client of [...this.clients]) {
      if (client.owner.sessionId === sessionId) this.end(client, 'its login session ended');
    }
  }

  /** Ends the streams whose session or token is no longer valid. */
  endInvalid(): void {
    for (const client of [...this.clients]) {
      let valid: boolean | Promise<boolean> = false;
      try {
        valid = client.owner.stillValid();
      } catch (error) {
        this.options.logger.error({ err: error }, "Could not check an event stream's login");
      }
      if (typeof valid !== 'boolean') {
        valid.then(
          (still) => {
            if (!still) this.end(client, 'its login or API token is no longer valid');
          },
          (error: unknown) =>
            this.options.logger.error({ err: error }, "Could not check an event stream's login"),
        );
      } else if (!valid) this.end(client, 'its login or API token is no longer valid');
    }
  }

  /**
   * Takes over a response: headers, the first events (the fleet's in full, then the watched device's
   * summary when it is known), then the events to come. The caller checks `isFull()` first.
   */
  add(response: ServerResponse, request: StreamRequest, owner: StreamOwner = ANYONE): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const client = new StreamClient(
      response,
      request,
      owner,
      this.options.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
    );
    const first = ['retry: 3000\n\n'];
    if (request.fleet !== 'none') first.push(this.fleetFeed.fullFrame(request.fleet));
    const summary = request.device === null ? null : this.options.fleet.summary(request.device);
    if (summary) first.push(this.frames.build('device', summary));
    client.open(first);
    this.clients.add(client);
    if (request.fleet !== 'none') this.fleetClients[request.fleet].add(client);
    if (request.device !== null) this.deviceFeed.add(request.device, client);
    this.options.logger.debug({ clients: this.clients.size, ...client.describe() }, 'Event stream opened');
    response.on('close', () => {
      if (!this.clients.has(client)) return;
      this.forget(client);
      this.options.logger.debug({ clients: this.clients.size, ...client.describe() }, 'Event stream closed');
    });
  }

  private send(client: StreamClient, text: string): void {
    if (!this.clients.has(client)) return;
    if (client.behind) {
      this.forget(client);
      client.response.destroy();
      this.options.logger.warn(
        { ...client.describe(), buffered: client.response.writableLength, clients: this.clients.size },
        'Dropped an event stream client that does not keep up',
      );
      return;
    }
    client.write(text);
  }

  private end(client: StreamClient, why: string): void {
    this.forget(client);
    client.response.end();
    this.options.logger.debug(
      { clients: this.clients.size, why, ...client.describe() },
      'Event stream ended',
    );
  }

  private forget(client: StreamClient): void {
    this.clients.delete(client);
    const { fleet, device } = client.request;
    if (fleet !== 'none') this.fleetClients[fleet].delete(client);
    if (device !== null) this.deviceFeed.remove(device, client);
  }
}

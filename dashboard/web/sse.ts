import type {
  CommandLogEntry,
  DeviceSummary,
  FleetEventData,
  ForgottenEvent,
  StoredReading,
} from './types.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/**
 * Which stream opened: the page's first, the same one again after a network error, or one for another device
 * (the server sends a device's events only on the streams that watch it from then on).
 */
export type StreamOpening = 'first' | 'reconnected' | 'watch';

/** The events of one stream: the fleet's, and those of the one device it watches. */
export interface LiveHandlers {
  fleet(message: FleetEventData): void;
  telemetry(message: StoredReading): void;
  /** The watched device's summary, which the server sends after each of its telemetry, status and ack events. */
  device(message: DeviceSummary): void;
  /** A command of the trail: when it is sent, and again when the device answers. */
  command(entry: CommandLogEntry): void;
  /** The watched device was forgotten. */
  forgotten(message: ForgottenEvent): void;
  connection(state: ConnectionState): void;
  /**
   * Called each time a stream opens: from then on it brings every event. What happened before reached no
   * stream of this page (while disconnected, or before a newly watched device's stream was there), so what the
   * page read without a stream (the history, the commands) is read again.
   */
  opened(how: StreamOpening): void;
  /**
   * Called when the browser gave up on the stream: the server answered with an error (401 once the session
   * has ended) rather than dropping the connection. A new stream is tried after a pause unless stop() is called.
   */
  gaveUp(): void;
}

type EventSourceFactory = (url: string) => EventSource;

const EVENT_NAMES = ['fleet', 'telemetry', 'device', 'command', 'forgotten'] as const;

/** `/api/events`, watching `deviceId` when there is one (the fleet's rows come either way). */
export function eventsUrl(deviceId: string | null): string {
  return deviceId === null ? '/api/events' : `/api/events?device=${encodeURIComponent(deviceId)}`;
}

/**
 * The server's event stream: the fleet, and the one device the page shows. Watching another device opens a
 * new stream (closing the old one), whose first `fleet` event is full again. EventSource reconnects by
 * itself after a network error; if the browser gives up (the server answered with an error), this opens a
 * new one after a pause.
 */
export class LiveEvents {
  private source: EventSource | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private openedBefore = false;
  private watched: string | null = null;
  private running = false;

  constructor(
    private readonly handlers: LiveHandlers,
    private readonly open: EventSourceFactory = (url) => new EventSource(url),
  ) {}

  /** The device watched: a new stream when it changes while running. */
  get deviceId(): string | null {
    return this.watched;
  }

  start(deviceId: string | null): void {
    this.watched = deviceId;
    this.running = true;
    this.connect(true);
  }

  /** Watches another device: the stream is opened again, without saying "reconnecting". */
  watch(deviceId: string | null): void {
    if (deviceId === this.watched) return;
    this.watched = deviceId;
    if (this.running) this.connect(false);
  }

  /** Closes the stream for good: the next start() is a first connection again (a new session). */
  close(): void {
    this.stop();
    this.openedBefore = false;
  }

  stop(): void {
    this.running = false;
    this.detach();
  }

  private connect(announce: boolean): void {
    this.detach();
    if (announce) this.handlers.connection(this.openedBefore ? 'reconnecting' : 'connecting');
    const source = this.open(eventsUrl(this.watched));
    this.source = source;
    // A stream opened for another device is not a reconnection (the banner says nothing of it), but the
    // device's events before it went to no stream of this page.
    let reopening = !announce;
    source.onopen = () => {
      this.handlers.connection('live');
      const how: StreamOpening = reopening ? 'watch' : this.openedBefore ? 'reconnected' : 'first';
      reopening = false;
      this.openedBefore = true;
      this.handlers.opened(how);
    };
    source.onerror = () => {
      if (source !== this.source) return;
      this.handlers.connection('reconnecting');
      if (source.readyState === EventSource.CLOSED) {
        this.retryTimer = setTimeout(() => this.connect(true), 3000);
        this.handlers.gaveUp();
      }
    };
    for (const name of EVENT_NAMES) this.listen(source, name);
  }

  private detach(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.source?.close();
    this.source = null;
  }

  private listen(source: EventSource, name: (typeof EVENT_NAMES)[number]): void {
    source.addEventListener(name, (event) => {
      if (source !== this.source) return;
      let data: unknown;
      try {
        data = JSON.parse(String((event as MessageEvent).data));
      } catch {
        console.warn(`Ignored a "${name}" event whose data is not JSON.`);
        return;
      }
      (this.handlers[name] as (message: unknown) => void)(data);
    });
  }
}

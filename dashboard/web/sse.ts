import type { Ack, CommandLogEntry, DeviceStatus, DeviceSummary, StoredReading } from './types.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  telemetry(message: StoredReading): void;
  status(message: DeviceStatus): void;
  ack(message: Ack): void;
  device(message: DeviceSummary): void;
  /** A command of the trail: when it is sent, and again when the device answers. */
  command(entry: CommandLogEntry): void;
  connection(state: ConnectionState): void;
  /** Called on every opening of the stream, the first included. */
  opened(): void;
  /** Called on every (re)opening after the first, to fetch what was missed while disconnected. */
  reconnected(): void;
  /**
   * Called when the browser gave up on the stream: the server answered with an error (401 once the session
   * has ended) rather than dropping the connection. A new stream is tried after a pause unless stop() is called.
   */
  gaveUp(): void;
}

type EventSourceFactory = (url: string) => EventSource;

/**
 * The server's event stream. EventSource reconnects by itself after a network error; if the browser
 * gives up (the server answered with an error), this opens a new one after a pause.
 */
export class LiveEvents {
  private source: EventSource | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private openedBefore = false;

  constructor(
    private readonly url: string,
    private readonly handlers: LiveHandlers,
    private readonly open: EventSourceFactory = (url) => new EventSource(url),
  ) {}

  start(): void {
    this.stop();
    this.handlers.connection(this.openedBefore ? 'reconnecting' : 'connecting');
    const source = this.open(this.url);
    this.source = source;
    source.onopen = () => {
      this.handlers.connection('live');
      this.handlers.opened();
      if (this.openedBefore) this.handlers.reconnected();
      this.openedBefore = true;
    };
    source.onerror = () => {
      this.handlers.connection('reconnecting');
      if (source.readyState === EventSource.CLOSED) {
        this.retryTimer = setTimeout(() => this.start(), 3000);
        this.handlers.gaveUp();
      }
    };
    this.listen(source, 'telemetry', (data) => this.handlers.telemetry(data as StoredReading));
    this.listen(source, 'status', (data) => this.handlers.status(data as DeviceStatus));
    this.listen(source, 'ack', (data) => this.handlers.ack(data as Ack));
    this.listen(source, 'device', (data) => this.handlers.device(data as DeviceSummary));
    this.listen(source, 'command', (data) => this.handlers.command(data as CommandLogEntry));
  }

  /** Closes the stream for good: the next start() is a first connection again (a new session). */
  close(): void {
    this.stop();
    this.openedBefore = false;
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.source?.close();
    this.source = null;
  }

  private listen(source: EventSource, name: string, handle: (data: unknown) => void): void {
    source.addEventListener(name, (event) => {
      let data: unknown;
      try {
        data = JSON.parse((event as MessageEvent<string>).data);
      } catch {
        console.warn(`Ignored a "${name}" event whose data is not JSON.`);
        return;
      }
      handle(data);
    });
  }
}

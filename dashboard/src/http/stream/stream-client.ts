import type { ServerResponse } from 'node:http';
import type { FleetMode } from '../../api-types.js';

/** Whose stream it is: checked at every heartbeat, and ended at once when its login session ends. */
export interface StreamOwner {
  /** The login session behind the stream, if any. */
  sessionId: string | null;
  /** False once the session or token behind the stream is no longer valid (a promise from a remote store). */
  stillValid(): boolean | Promise<boolean>;
}

export const ANYONE: StreamOwner = { sessionId: null, stillValid: () => true };

/** What a stream asked for: `GET /api/events?device=…&fleet=…`. */
export interface StreamRequest {
  /** The device whose events it gets; null: none. */
  device: string | null;
  fleet: FleetMode;
}

/**
 * A client of the event stream: its response, what it watches, whose it is, and how much unsent data it may
 * hold before it counts as not keeping up (a bound, plus what it was sent at open: the fleet's first event
 * may be large, and is sent to a client that has not read anything yet).
 */
export class StreamClient {
  private allowance: number;

  constructor(
    readonly response: ServerResponse,
    readonly request: StreamRequest,
    readonly owner: StreamOwner,
    private readonly maxBufferedBytes: number,
  ) {
    this.allowance = maxBufferedBytes;
  }

  /** Sends the first events; they raise the allowance by their size. */
  open(texts: readonly string[]): void {
    for (const text of texts) {
      this.allowance += Buffer.byteLength(text);
      this.response.write(text);
    }
  }

  /** Whether more unsent data than allowed waits for this client. */
  get behind(): boolean {
    return this.response.writableLength > this.allowance;
  }

  /** Writes `text`; once the client has read what it was sent at open, the allowance is the bound again. */
  write(text: string): void {
    if (this.response.writableLength === 0) this.allowance = this.maxBufferedBytes;
    this.response.write(text);
  }

  /** For the log lines: what the stream watches. */
  describe(): { device: string | null; fleet: FleetMode } {
    return { device: this.request.device, fleet: this.request.fleet };
  }
}

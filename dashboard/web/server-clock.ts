/** What the page learns of the server's clock from one answer. */
export interface ClockObservation {
  /** The answer's `Date` header (whole seconds), or null when it had none. */
  date: string | null;
  /** This browser's clock when the request was sent and when its answer arrived, epoch ms. */
  sentAt: number;
  receivedAt: number;
}

/** Anything that can be told of an answer's `Date` header (HttpClient tells its clock). */
export interface ClockObserver {
  /** This browser's clock, epoch ms. */
  local(): number;
  observe(observation: ClockObservation): void;
}

/**
 * The server's clock as the page sees it: the browser's own clock, corrected when the answers' `Date`
 * headers prove it wrong. Readings are filed by the server's clock, so a browser whose clock is minutes off
 * would ask for the wrong hour of history and draw the live readings off its charts.
 *
 * Each answer bounds the offset (server minus browser): its `Date` is the server's clock, to the whole
 * second, at some moment between the request's sending and its answer. The bounds of successive answers
 * are intersected, so they narrow; the offset used is the one in them nearest to 0 — none at all for a
 * browser whose clock agrees with the server's to within those bounds. Answers that contradict the
 * bounds (either clock was set since) start them again.
 */
export class ServerClock implements ClockObserver {
  private low = Number.NEGATIVE_INFINITY;
  private high = Number.POSITIVE_INFINITY;
  private offset = 0;

  constructor(private readonly browserNow: () => number) {}

  /** The server's time now, as near as the answers so far tell, epoch ms. */
  now(): number {
    return this.browserNow() + this.offset;
  }

  local(): number {
    return this.browserNow();
  }

  /** The correction in use, ms (server minus browser); 0 while the browser's clock is not shown wrong. */
  get correction(): number {
    return this.offset;
  }

  observe({ date, sentAt, receivedAt }: ClockObservation): void {
    const server = date === null ? Number.NaN : Date.parse(date);
    if (!Number.isFinite(server) || receivedAt < sentAt) return;
    // The server read its clock at some browser time t in [sentAt, receivedAt], and it was in [server, server + 1 s)
    // (a little more: Node renews its Date header on a timer, which may fire late).
    const low = server - receivedAt;
    const high = server + DATE_RESOLUTION_MS - sentAt;
    if (low > this.high || high < this.low) {
      this.low = low;
      this.high = high;
    } else {
      this.low = Math.max(this.low, low);
      this.high = Math.min(this.high, high);
    }
    this.offset = Math.min(Math.max(0, this.low), this.high);
  }
}

/** How far past its `Date` header the server's clock may be: the header's whole second, and a margin. */
const DATE_RESOLUTION_MS = 1100;

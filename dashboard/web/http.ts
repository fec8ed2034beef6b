import type { ClockObserver } from './server-clock.js';

/** What the server says when the session is gone (401) or the role does not allow a request (403). */
export interface SessionSignals {
  unauthorized(): void;
  forbidden(): void;
}

/** A request that did not succeed: its status (0 when the server was not reached) and one sentence. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Whether a 401 or 403 of this request means the session ended or the role changed (not a wrong password). */
export interface SendOptions {
  signal401?: boolean;
}

/**
 * The one place the page talks HTTP: same-origin requests with the session cookie, JSON in and out, the
 * server's error sentence, and a word to the listeners when a request finds no session or a refusal.
 */
export class HttpClient {
  private readonly listeners = new Set<SessionSignals>();

  constructor(
    private readonly fetchImpl: typeof fetch,
    /** Told each answer's `Date` header (the server's clock); none: the page keeps no server clock. */
    private readonly clock?: ClockObserver,
  ) {}

  /** Tells `signals` about 401 and 403 answers; returns the way to stop. */
  listen(signals: SessionSignals): () => void {
    this.listeners.add(signals);
    return () => this.listeners.delete(signals);
  }

  /** Sends a request; throws HttpError(0) when the server cannot be reached. */
  async send(path: string, init: RequestInit = {}, options: SendOptions = {}): Promise<Response> {
    let response: Response;
    const sentAt = this.clock?.local() ?? 0;
    try {
      // Live data: never an answer from a cache (whose Date header would also mislead the server clock).
      // (`as`: Node's RequestInit, which the tests' type check sees, has no `cache`; the browser's has.)
      response = await this.fetchImpl(path, {
        credentials: 'same-origin',
        cache: 'no-store',
        ...init,
        headers: { accept: 'application/json', ...(init.headers as Record<string, string>) },
      } as RequestInit);
    } catch {
      throw new HttpError(0, 'the dashboard server cannot be reached');
    }
    // An answer a proxy kept (it says its Age) was dated when it was first made.
    const date = response.headers.has('age') ? null : response.headers.get('date');
    this.clock?.observe({ date, sentAt, receivedAt: this.clock.local() });
    if (options.signal401 !== false) {
      if (response.status === 401) for (const listener of [...this.listeners]) listener.unauthorized();
      if (response.status === 403) for (const listener of [...this.listeners]) listener.forbidden();
    }
    return response;
  }

  /** Sends `body` as JSON. */
  sendJson(path: string, method: string, body: unknown, options: SendOptions = {}): Promise<Response> {
    return this.send(
      path,
      { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      options,
    );
  }

  /** GETs JSON; throws HttpError with the server's sentence when the answer is not 2xx. */
  async getJson<T>(path: string): Promise<T> {
    const response = await this.send(path);
    if (!response.ok) throw new HttpError(response.status, await errorSentence(response, path));
    return (await response.json()) as T;
  }
}

/** The `error` sentence of an error response, or one naming the request and its status. */
export async function errorSentence(response: Response, what = 'the request'): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string' && body.error.trim()) return body.error.trim();
  } catch {
    // Not every error comes with a JSON body; the status says enough.
  }
  return `${what} answered ${response.status} ${response.statusText}`.trim();
}

import { request } from 'node:http';

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Splits a Server-Sent Events stream into events, across chunks that may end anywhere (inside a line or
 * a UTF-8 character's bytes are the caller's: feed it decoded text). Comments and `retry:` lines are skipped;
 * several `data:` lines of one event are joined with "\n", as EventSource does.
 */
export class SseParser {
  private rest = '';

  push(chunk: string): SseEvent[] {
    const text = this.rest + chunk;
    const events: SseEvent[] = [];
    let start = 0;
    for (let end = text.indexOf('\n\n', start); end >= 0; end = text.indexOf('\n\n', start)) {
      const block = text.slice(start, end);
      start = end + 2;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
      if (data.length > 0) events.push({ event, data: data.join('\n') });
    }
    this.rest = text.slice(start);
    return events;
  }
}

export interface EventStream {
  /** Resolves with the HTTP status once the response starts (rejects when the request fails). */
  opened: Promise<number>;
  /** True once the server ended the stream or the connection failed. */
  readonly ended: boolean;
  close(): void;
}

/** Opens `url` as an event stream and calls `onEvent` with each event, until closed. */
export function openEventStream(url: string, onEvent: (event: SseEvent) => void): EventStream {
  const parser = new SseParser();
  let ended = false;
  const req = request(url, { headers: { accept: 'text/event-stream' } });
  const opened = new Promise<number>((resolve, reject) => {
    req.on('response', (response) => {
      resolve(response.statusCode ?? 0);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        for (const event of parser.push(chunk)) onEvent(event);
      });
      response.on('close', () => {
        ended = true;
      });
    });
    req.on('error', (error) => {
      ended = true;
      reject(error);
    });
  });
  opened.catch(() => undefined);
  req.end();
  return {
    opened,
    get ended() {
      return ended;
    },
    close: () => req.destroy(),
  };
}

import { request } from 'node:http';

export interface SseEvent {
  event: string;
  data: unknown;
  /** Date.now() when the event was parsed. */
  at: number;
}

/**
 * Opens `GET <path>` on the test server and collects what arrives: events (with their arrival time),
 * comment lines, the status and body of an error answer, and whether the server ended the stream.
 * `paused`: the client never reads (a slow client).
 */
export function openStream(
  port: number,
  path = '/api/events',
  options: { headers?: Record<string, string>; paused?: boolean } = {},
) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const state = { status: 0, contentType: '', body: '', ended: false, closed: false };
  let buffer = '';
  const req = request({
    host: '127.0.0.1',
    port,
    path,
    headers: { accept: 'text/event-stream', ...options.headers },
  });
  req.on('response', (response) => {
    state.status = response.statusCode ?? 0;
    state.contentType = String(response.headers['content-type']);
    response.on('end', () => {
      state.ended = true;
    });
    response.on('close', () => {
      state.closed = true;
    });
    response.on('error', () => {});
    if (options.paused) {
      response.pause();
      return;
    }
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (state.status !== 200) {
        state.body += chunk;
        return;
      }
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        for (const line of lines) if (line.startsWith(':')) comments.push(line.slice(1).trim());
        const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
        const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
        if (event && data) events.push({ event, data: JSON.parse(data), at: Date.now() });
      }
    });
  });
  req.on('error', () => {
    state.closed = true;
  });
  req.end();
  return {
    events,
    comments,
    state,
    /** The events of one name, their data only. */
    named: <T = Record<string, unknown>>(name: string) =>
      events.filter((e) => e.event === name).map((e) => e.data as T),
    close: () => req.destroy(),
  };
}

export type Stream = ReturnType<typeof openStream>;

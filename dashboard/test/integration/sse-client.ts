import { request } from 'node:http';

export interface SseEvent {
  event: string;
  data: unknown;
}

/** A minimal EventSource for tests: collects the events of `url` until closed. */
export function openEventStream(url: string) {
  const events: SseEvent[] = [];
  let buffer = '';
  const req = request(url, { headers: { accept: 'text/event-stream' } });
  req.on('response', (response) => {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
        const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return { events, close: () => req.destroy() };
}

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type {
  DeviceSummary,
  FleetCounts,
  FleetEventData,
  FleetRow,
  MeResponse,
  RoleName,
} from '../../src/api-types.js';
import { defaultWebPaths } from '../../src/paths.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** A stream the page opened: what it asked for, and a way to send it events. */
export interface FakeStream {
  device: string | null;
  fleet: string | null;
  send(event: string, data: unknown): void;
  closed: boolean;
}

/** Device `index` of a made-up fleet: "sim-00042", online unless its index is a multiple of 10. */
export function fakeRow(index: number, overrides: Partial<FleetRow> = {}): FleetRow {
  return {
    device_id: `sim-${String(index).padStart(5, '0')}`,
    online: index % 10 !== 0,
    alerte: index % 97 === 0,
    last_seen: new Date(Date.now() - (index % 60) * 1000).toISOString(),
    firmware: 'v1.0.0',
    temperature: 20 + (index % 50) / 10,
    humidite: 40 + (index % 20),
    pression: 1000 + (index % 30),
    batterie: 100 - (index % 90),
    lost: index % 53 === 0 ? 3 : 0,
    ...overrides,
  };
}

/** The summary a `device` event carries for `row` (its latest reading has the row's values). */
export function summaryOf(row: FleetRow): DeviceSummary {
  const at = row.last_seen ?? new Date().toISOString();
  return {
    device_id: row.device_id,
    online: row.online,
    last_seen: row.last_seen,
    firmware: row.firmware,
    settings: { mode: 'auto', intervalle: 5, seuil_alerte: 30, actif: true },
    ota: null,
    sensor: { source: 'synthetic', bus: null, address: null, healthy: true, error: null },
    alerte: row.alerte,
    latest:
      row.temperature === null
        ? null
        : {
            device_id: row.device_id,
            timestamp: at,
            temperature: row.temperature,
            humidite: row.humidite,
            pression: row.pression ?? 1013,
            batterie: row.batterie ?? 100,
            mode: 'auto',
            firmware: row.firmware ?? 'v1.0.0',
            alerte: row.alerte,
            uptime: 60,
            seq: 100,
            source: 'synthetic',
            epoch: 'e1',
            clock_synced: true,
            received_at: at,
            trusted_at: at,
          },
    delivery: { received: 100, lost: row.lost, conflicts: 0 },
    epoch: 'e1',
    epoch_reason: 'first_start',
    clock_synced: true,
  };
}

/**
 * A stand-in for the dashboard server that serves the real page (its HTML, CSS and compiled scripts) and
 * the event stream protocol of `GET /api/events` with a fleet the test controls: the first `fleet` event is
 * full, the next ones are what the test sends. The rest of the API answers just enough for the page (no
 * history, no commands). It lets the page be driven with thousands of devices and no broker.
 */
export class FakeFleetServer {
  readonly rows = new Map<string, FleetRow>();
  readonly streams: FakeStream[] = [];
  readonly deleted: string[] = [];
  role: RoleName = 'admin';
  /** Who `GET /api/me` says is signed in. */
  userName = 'tester';
  base = '';
  private server: Server | null = null;
  private readonly paths = defaultWebPaths(new URL('../../src/paths.ts', import.meta.url).href);

  setRows(rows: FleetRow[]): void {
    this.rows.clear();
    for (const row of rows) this.rows.set(row.device_id, row);
  }

  counts(): FleetCounts {
    let online = 0;
    let alerting = 0;
    for (const row of this.rows.values()) {
      if (row.online) online++;
      if (row.alerte) alerting++;
    }
    return { devices: this.rows.size, online, offline: this.rows.size - online, alerting };
  }

  /** Changes rows and sends the change to every open stream, as the server's throttled event would. */
  update(rows: FleetRow[], removed: string[] = []): void {
    for (const row of rows) this.rows.set(row.device_id, row);
    for (const id of removed) this.rows.delete(id);
    const event: FleetEventData = { full: false, counts: this.counts(), rows, removed };
    for (const stream of this.open()) stream.send('fleet', event);
  }

  /** The streams still open. */
  open(): FakeStream[] {
    return this.streams.filter((stream) => !stream.closed);
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: Error) => {
        response.writeHead(500).end(error.message);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const stream of this.streams) stream.closed = true;
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === '/') return this.file(response, join(this.paths.staticDir, 'index.html'));
    if (path.startsWith('/static/'))
      return this.file(response, this.inside(this.paths.staticDir, path, '/static/'));
    if (path.startsWith('/js/')) return this.file(response, this.inside(this.paths.scriptsDir, path, '/js/'));
    if (path === '/vendor/chart.umd.js') return this.file(response, this.paths.chartJs);
    if (path === '/vendor/chartjs-adapter-date-fns.bundle.min.js') {
      return this.file(response, this.paths.chartAdapter);
    }
    if (path === '/api/me') {
      const me: MeResponse = {
        auth: 'on',
        user: { name: this.userName, role: this.role, kind: 'user', must_change_password: false },
      };
      return json(200, me);
    }
    if (path === '/healthz') return json(200, { status: 'ok', mqtt: 'connected', database: 'ok' });
    if (path === '/api/events') return this.stream(url, request, response);
    // The alerts panel's list (no alert raised in this made-up fleet).
    if (path === '/api/alerts') {
      const limit = Number(url.searchParams.get('limit') ?? 50);
      return json(200, { incidents: [], open: 0, total: 0, limit, offset: 0 });
    }
    const device = /^\/api\/devices\/([^/]+)(\/history|\/commands)?$/.exec(path);
    if (device) {
      const id = decodeURIComponent(device[1] as string);
      if (request.method === 'DELETE' && !device[2]) return this.forget(id, response);
      if (device[2] === '/history') return json(200, { device_id: id, history: [] });
      if (device[2] === '/commands') return json(200, { device_id: id, commands: [] });
    }
    json(404, { status: 'error', error: `No route ${request.method} ${path} in the fake server.` });
  }

  private forget(id: string, response: ServerResponse): void {
    if (!this.rows.has(id)) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'error', error: `Device "${id}" is not known.` }));
      return;
    }
    this.deleted.push(id);
    for (const stream of this.open()) if (stream.device === id) stream.send('forgotten', { device_id: id });
    this.update([], [id]);
    response.writeHead(204).end();
  }

  private stream(url: URL, request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const stream: FakeStream = {
      device: url.searchParams.get('device'),
      fleet: url.searchParams.get('fleet'),
      closed: false,
      send: (event, data) => {
        if (!stream.closed) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
    };
    request.on('close', () => {
      stream.closed = true;
    });
    this.streams.push(stream);
    stream.send('fleet', { full: true, counts: this.counts(), rows: [...this.rows.values()] });
    const watched = stream.device === null ? undefined : this.rows.get(stream.device);
    if (watched) stream.send('device', summaryOf(watched));
  }

  private inside(root: string, path: string, prefix: string): string {
    const file = normalize(join(root, decodeURIComponent(path.slice(prefix.length))));
    if (!file.startsWith(root)) throw new Error(`${path} is outside ${root}.`);
    return file;
  }

  private async file(response: ServerResponse, file: string): Promise<void> {
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  }
}

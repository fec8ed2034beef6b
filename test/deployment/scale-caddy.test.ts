import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cloud/src/free-port.js';
import { repoPath } from './helpers/repo.js';

/**
 * cloud/caddy/Caddyfile run by Debian's caddy in front of two HTTP servers that stand for the replicas. The
 * configuration is the Caddyfile's own (`caddy adapt`), with only its addresses changed: it listens on a free
 * loopback port without TLS (no certificate can be had here), and its two upstreams are the two servers.
 */
const CADDY = '/usr/bin/caddy';
const SITE = 'fleet.example.com';
const ALLOWED_HOSTS = `${SITE}, dash.example.org`;

function caddyInstalled(): boolean {
  try {
    execFileSync(CADDY, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Replica {
  name: string;
  server: Server;
  port: number;
  /** Requests it answered, by path. */
  seen: string[];
  /** Event streams it holds open. */
  streams: Set<ServerResponse>;
}

/** A stand-in replica: GET /echo answers what it received; GET /api/events opens an event stream. */
async function startReplica(name: string): Promise<Replica> {
  const replica: Replica = { name, server: createServer(), port: 0, seen: [], streams: new Set() };
  replica.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    replica.seen.push(req.url ?? '');
    if (req.url === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(`data: ${name}\n\n`);
      replica.streams.add(res);
      res.on('close', () => replica.streams.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        replica: name,
        host: req.headers.host,
        forwardedFor: req.headers['x-forwarded-for'],
        forwardedProto: req.headers['x-forwarded-proto'],
        forwardedHost: req.headers['x-forwarded-host'],
      }),
    );
  });
  await new Promise<void>((resolve) => replica.server.listen(0, '127.0.0.1', resolve));
  replica.port = (replica.server.address() as AddressInfo).port;
  return replica;
}

function stopReplica(replica: Replica): Promise<void> {
  for (const stream of replica.streams) stream.destroy();
  replica.server.closeAllConnections();
  return new Promise((resolve) => replica.server.close(() => resolve()));
}

interface Answer {
  status: number;
  body: string;
}

/** One request through Caddy, with the Host a browser would send. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: SITE, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} through Caddy took over 10 s`)));
    req.end();
  });
}

/** Opens GET /api/events through Caddy; resolves with the first event's data while the stream stays open. */
function openStream(port: number): Promise<{ first: string; stillOpen: () => boolean; close: () => void }> {
  return new Promise((resolve, reject) => {
    let ended = false;
    const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { host: SITE } }, (res) => {
      res.setEncoding('utf8');
      res.on('end', () => {
        ended = true;
      });
      res.once('data', (chunk: string) =>
        resolve({
          first: chunk.replace(/^data: /, '').trim(),
          stillOpen: () => !ended && !res.destroyed,
          close: () => req.destroy(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const installed = caddyInstalled();
const reason = installed ? '' : ` (skipped: ${CADDY} is not installed; apt-get install caddy)`;

describe.skipIf(!installed)(
  `cloud/caddy/Caddyfile run by Debian's caddy before two replicas${reason}`,
  () => {
    const temp = mkdtempSync(join(tmpdir(), 'scale-caddy-'));
    const env = { PATH: process.env.PATH, HOME: temp, XDG_DATA_HOME: temp, XDG_CONFIG_HOME: temp };
    let a: Replica;
    let b: Replica;
    let caddy: ChildProcess | null = null;
    let caddyLog = '';
    let port = 0;

    beforeAll(async () => {
      a = await startReplica('dashboard-a');
      b = await startReplica('dashboard-b');
      port = await freePort('127.0.0.1');
      const adapted = execFileSync(CADDY, ['adapt', '--config', repoPath('cloud/caddy/Caddyfile')], {
        encoding: 'utf8',
        env: { ...env, ALLOWED_HOSTS },
      });
      // biome-ignore lint/suspicious/noExplicitAny: Caddy's JSON configuration, changed at three known places.
      const config = JSON.parse(adapted) as any;
      const server = config.apps.http.servers.srv0;
      const proxy = server.routes[0].handle[0].routes[0].handle[0];
      expect(server.listen).toEqual([':443']);
      expect(proxy.upstreams).toEqual([{ dial: 'dashboard-a:80' }, { dial: 'dashboard-b:80' }]);
      server.listen = [`127.0.0.1:${port}`];
      server.automatic_https = { disable: true };
      proxy.upstreams = [{ dial: `127.0.0.1:${a.port}` }, { dial: `127.0.0.1:${b.port}` }];
      config.admin = { disabled: true };
      config.storage = { module: 'file_system', root: join(temp, 'storage') };
      const file = join(temp, 'caddy.json');
      writeFileSync(file, JSON.stringify(config));
      caddy = spawn(CADDY, ['run', '--config', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      caddy.stderr?.on('data', (chunk: Buffer) => {
        caddyLog += chunk.toString('utf8');
      });
      const deadline = Date.now() + 15_000;
      for (;;) {
        const answer = await get(port, '/echo').catch(() => null);
        if (answer?.status === 200) break;
        if (Date.now() > deadline || caddy.exitCode !== null)
          throw new Error(`caddy did not start:\n${caddyLog}`);
        await sleep(100);
      }
    });

    afterAll(async () => {
      if (caddy && caddy.exitCode === null) {
        const exited = new Promise((resolve) => caddy?.once('exit', resolve));
        caddy.kill('SIGTERM');
        await exited;
      }
      await Promise.all([a, b].filter(Boolean).map(stopReplica));
      rmSync(temp, { recursive: true, force: true });
    });

    it("passes the Host through and forwards the client's address (not one it sent), proto and host", async () => {
      const answer = await get(port, '/echo', { 'x-forwarded-for': '203.0.113.9' });
      expect(answer.status).toBe(200);
      const seen = JSON.parse(answer.body) as Record<string, string>;
      expect(seen.host).toBe(SITE);
      expect(seen.forwardedHost).toBe(SITE);
      // No TLS in this run; with the compose file's certificate it is https.
      expect(seen.forwardedProto).toBe('http');
      // What the client sent is replaced by the address Caddy saw, which TRUST_PROXY=1 (one hop) takes.
      expect(seen.forwardedFor).toBe('127.0.0.1');
    });

    it('sends nothing to a replica for a name outside ALLOWED_HOSTS', async () => {
      const before = a.seen.length + b.seen.length;
      await get(port, '/echo', { host: 'rebinding.example.net' });
      expect(a.seen.length + b.seen.length).toBe(before);
    });

    it('delivers an event at once while its stream stays open, and sends the next request to the other replica', async () => {
      const stream = await openStream(port);
      try {
        expect(['dashboard-a', 'dashboard-b']).toContain(stream.first);
        await sleep(300);
        expect(stream.stillOpen()).toBe(true);
        const other = stream.first === 'dashboard-a' ? 'dashboard-b' : 'dashboard-a';
        for (let i = 0; i < 3; i += 1) {
          const answer = await get(port, '/echo');
          expect((JSON.parse(answer.body) as { replica: string }).replica).toBe(other);
        }
      } finally {
        stream.close();
      }
    });

    it('sends every request to the other replica when one is down', async () => {
      await stopReplica(a);
      const replicas: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        const answer = await get(port, '/echo');
        expect(answer.status, caddyLog.slice(-2000)).toBe(200);
        replicas.push((JSON.parse(answer.body) as { replica: string }).replica);
      }
      expect(replicas).toEqual(Array(6).fill('dashboard-b'));
    });

    it('stops within its grace period while an event stream is open', async () => {
      const stream = await openStream(port);
      const started = Date.now();
      const exited = new Promise((resolve) => caddy?.once('exit', resolve));
      caddy?.kill('SIGTERM');
      await exited;
      const stopMs = Date.now() - started;
      stream.close();
      expect(stopMs).toBeLessThan(8_000);
    });
  },
);

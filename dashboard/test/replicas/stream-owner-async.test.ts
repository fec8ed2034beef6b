import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DashboardEvents } from '@fleet/dashboard';
import { afterEach, describe, expect, it } from 'vitest';
import { SseHub } from '../../src/http/sse-hub.js';
import { eventually, quietLogger } from '../server/fixtures.js';

/**
 * A session store over the network (PostgreSQL, for replicas) answers the event stream's heartbeat check with a
 * promise: the hub ends a stream whose login the promise says is gone, and keeps one it says still holds.
 */
describe('SseHub: a stream owner answering with a promise', () => {
  let server: Server | null = null;
  let hub: SseHub | null = null;
  afterEach(async () => {
    hub?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('ends the stream whose session a promise says is gone, at the next heartbeat, and keeps the other', async () => {
    const events = new DashboardEvents();
    const fleet = {
      counts: () => ({ devices: 0, online: 0, offline: 0, alerting: 0 }),
      rows: () => [],
      row: () => null,
      summary: () => null,
    };
    hub = new SseHub({ events, fleet, logger: quietLogger(), heartbeatMs: 50 });
    hub.start();
    const valid = new Map([
      ['/kept', true],
      ['/gone', false],
    ]);
    server = createServer((req, res) => {
      const still = valid.get(req.url ?? '') ?? false;
      hub?.add(
        res,
        { device: null, fleet: 'none' },
        { sessionId: req.url ?? null, stillValid: async () => still },
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const ended = new Map<string, boolean>();
    for (const path of ['/kept', '/gone']) {
      ended.set(path, false);
      request({ host: '127.0.0.1', port, path }, (response) => {
        response.resume();
        response.on('end', () => ended.set(path, true));
      }).end();
    }
    await eventually(() => ended.get('/gone'), 5000, 'the stream whose session is gone to end');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ended.get('/kept')).toBe(false);
  });
});

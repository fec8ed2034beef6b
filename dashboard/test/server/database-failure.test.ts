import type { HealthResponse } from '@fleet/dashboard';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, readings, stored } from './fixtures.js';
import { type Harness, startHarness } from './harness.js';
import { type IngestParts, ingestParts } from './ingest-parts.js';

/** SQLite's own limit on the file's size: the next write that needs a page fails with SQLITE_FULL. */
const fillUp = (db: { pragma(source: string, options?: { simple: boolean }): unknown }) => {
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
};
const makeRoom = (db: { pragma(source: string): unknown }) => db.pragma('max_page_count = 1073741823');

describe('a database that cannot be written (SQLITE_FULL)', () => {
  let p: IngestParts;
  let h: Harness;
  afterEach(async () => {
    await p?.close();
    await h?.close();
  });

  it('acknowledges nothing and drops nothing while it fails, retries with back-off, logs once each way, then stores every reading once', async () => {
    p = await ingestParts({ retryInitialMs: 20 });
    const before = readings('pi-1', 10, '2025-03-01T11:00:00Z');
    await Promise.all(before.map((reading) => p.handle('devices/pi-1/data', reading)));
    fillUp(p.store.database);

    const during = readings('pi-1', 400, '2025-03-01T11:10:00Z', 1000, 10);
    const committed = new Set<number>();
    const waits = during.map((reading) =>
      p.handle('devices/pi-1/data', reading).then(() => committed.add(reading.seq)),
    );
    await eventually(() => p.ingest.failing !== null, 5000, 'the failure');
    // Several attempts later, still nothing committed nor dropped: all 400 wait for their commit.
    const errors = () => p.log.lines.filter((line) => line.level === 50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(committed.size).toBe(0);
    expect(p.ingest.pending).toBe(400);
    expect(p.ingest.failing?.reason).toMatch(/^SQLITE_FULL: database or disk is full$/);
    expect(p.store.recent({ limit: 1000 })).toHaveLength(10);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({
      pending: 400,
      msg: 'The database cannot be written (SQLITE_FULL: database or disk is full): no message is acknowledged to the MQTT broker, which keeps them, and nothing is dropped; trying again with back-off',
    });
    // The API reads on meanwhile.
    expect(p.fleet.summary('pi-1')?.delivery).toEqual({ received: 10, lost: 0, conflicts: 0 });

    makeRoom(p.store.database);
    await Promise.all(waits);
    expect(committed.size).toBe(400);
    expect(p.ingest.failing).toBeNull();
    expect(p.store.recent({ limit: 1000 })).toEqual([...before, ...during].map((r) => stored(r)));
    expect(p.fleet.summary('pi-1')?.delivery).toEqual({ received: 410, lost: 0, conflicts: 0 });
    const recovered = p.log.lines.filter((line) => line.level === 30 && line.failed_ms !== undefined);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.msg).toBe(
      'The database can be written again; the messages that waited are being stored and acknowledged',
    );
    expect(errors()).toHaveLength(1);
  });

  it('answers /healthz 503 with database "error" and a sentence saying why and that messages wait in the broker', async () => {
    h = await startHarness({ retryInitialMs: 20 });
    fillUp(h.store.database);
    for (const reading of readings('pi-1', 400, '2025-03-01T11:00:00Z'))
      void h.deliver('devices/pi-1/data', reading);
    await eventually(() => h.dashboard.ingest.failing !== null, 5000, 'the failure');
    const response = await h.dashboard.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(503);
    const body = response.json() as HealthResponse;
    expect(body).toMatchObject({ status: 'error', database: 'error' });
    expect(body.error).toMatch(
      /the database cannot be written since \S+ \(SQLITE_FULL: database or disk is full\); 400 received messages wait unacknowledged, and the others wait in the MQTT broker until it can\.$/,
    );
    // The API answers meanwhile.
    expect((await h.dashboard.app.inject({ method: 'GET', url: '/api/devices' })).statusCode).toBe(200);
    makeRoom(h.store.database);
    await eventually(() => h.dashboard.ingest.failing === null, 5000, 'the recovery');
    const healed = (
      await h.dashboard.app.inject({ method: 'GET', url: '/healthz' })
    ).json() as HealthResponse;
    expect(healed.database).toBe('ok');
  });
});

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyResponse, type TelemetryStore } from '@fleet/dashboard';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, quietLogger, readings, stored, tempDir } from './fixtures.js';

// The compiled module: its thread script sits beside it (from the sources there is none, and queries stay
// on the main thread). `npx tsc -b` builds it.
const COMPILED = new URL('../../dist/storage/history-worker.js', import.meta.url);
const compiled = existsSync(fileURLToPath(COMPILED));

describe.skipIf(!compiled)('HistoryWorker (history queries on a thread of their own)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
  });
  afterEach(async () => {
    store.close();
    await dir.remove();
  });

  it('answers on its thread what the store answers on the main thread, with the readings just written', async () => {
    const { HistoryWorker } = (await import(
      COMPILED.href
    )) as typeof import('../../src/storage/history-worker.js');
    const worker = new HistoryWorker({ store, logger: quietLogger() });
    worker.start();
    try {
      expect(worker.threaded).toBe(true);
      store.transaction(() => {
        for (const reading of readings('pi-1', 4000, '2025-03-01T09:00:00Z'))
          store.writeReading(stored(reading));
      });
      const from = Date.parse('2025-03-01T09:00:00Z');
      for (const query of [
        { deviceId: 'pi-1', from, to: from + 3_599_999, limit: 4000, form: 'buckets' as const },
        { deviceId: 'pi-1', limit: 100, form: 'buckets' as const },
        { deviceId: 'pi-1', limit: 100, form: 'readings' as const },
      ]) {
        const threaded = await worker.history(query);
        expect(threaded).toEqual(store.history(query));
        expect(threaded.readings.length + threaded.buckets.length).toBeGreaterThan(0);
        // The response's JSON, made on the thread: the route sends it as it is.
        const json = await worker.historyJson(query);
        expect(JSON.parse(new TextDecoder().decode(json ?? undefined))).toEqual(
          historyResponse(query, store.history(query)),
        );
      }
    } finally {
      await worker.stop();
    }
    // Stopped (or dead): the queries run on the main thread.
    expect(worker.threaded).toBe(false);
    expect(worker.historyJson({ deviceId: 'pi-1', limit: 10, form: 'buckets' })).toBeNull();
    const answer = await worker.history({ deviceId: 'pi-1', limit: 10, form: 'buckets' });
    expect(answer.bucketMs).toBe(10 * 60_000);
  });
});

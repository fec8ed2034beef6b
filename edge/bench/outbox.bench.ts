/**
 * Outbox throughput on this machine's disk. Run: `npx vitest bench --run edge/bench/outbox.bench.ts`
 * Each run prints its rate ("… readings/s"); vitest's table then gives the time per run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Telemetry } from '@fleet/shared';
import { bench, describe } from 'vitest';
import { FileOutbox } from '../src/outbox/file-outbox.js';

const BATCH = 1000;
const logger = createLogger('outbox-bench', 'silent');
/** A few runs each, no warm-up loop: every run does real disk work. */
const options = { iterations: 3, time: 0, warmupTime: 0, warmupIterations: 0 };

function reading(seq: number): Telemetry {
  return {
    device_id: 'bench',
    timestamp: new Date().toISOString(),
    temperature: 21.3,
    humidite: 48.2,
    pression: 1012.8,
    batterie: 87.5,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: false,
    uptime: seq * 5,
    seq,
    source: 'synthetic',
  };
}

/** Runs `work` on a fresh outbox in a temporary directory, which is removed afterwards. */
async function withOutbox(work: (outbox: FileOutbox, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'outbox-bench-'));
  const outbox = new FileOutbox({ dir, max: 1_000_000, logger });
  try {
    await outbox.open();
    await work(outbox, dir);
  } finally {
    await outbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function rate(name: string, readings: number, work: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  console.log(
    `${name}: ${Math.round((readings / ms) * 1000)} readings/s (${readings} in ${ms.toFixed(0)} ms)`,
  );
}

const fill = (outbox: FileOutbox, count: number) =>
  Promise.all(Array.from({ length: count }, (_, seq) => outbox.enqueue(reading(seq))));

describe('FileOutbox', () => {
  bench(
    'enqueue 1000, one at a time (write + fsync each)',
    () =>
      withOutbox((outbox) =>
        rate('enqueue one at a time', BATCH, async () => {
          for (let seq = 0; seq < BATCH; seq++) await outbox.enqueue(reading(seq));
        }),
      ),
    options,
  );

  bench(
    'enqueue 1000 concurrently (one shared write + fsync)',
    () =>
      withOutbox((outbox) => rate('enqueue concurrently', BATCH, () => fill(outbox, BATCH).then(() => {}))),
    options,
  );

  bench(
    'drain 10 000 (peek 100, remove 100)',
    () =>
      withOutbox(async (outbox) => {
        await fill(outbox, BATCH * 10);
        await rate('drain', BATCH * 10, async () => {
          while (outbox.size > 0) await outbox.remove(outbox.peek(100).map((item) => item.seq));
        });
      }),
    options,
  );

  bench(
    'open() with 50 000 queued (restart)',
    () =>
      withOutbox(async (outbox, dir) => {
        await fill(outbox, 50_000);
        const again = new FileOutbox({ dir, max: 1_000_000, logger });
        await rate('open() with 50 000 queued', 50_000, () => again.open());
        await again.close();
      }),
    options,
  );
});

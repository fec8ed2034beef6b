import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, hasMosquitto, startMosquitto } from '@fleet/cloud';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The compiled bench: its publishers run in a worker thread, which loads the compiled file.
import type { BenchContext } from '../dist/context.js';
import { DASHBOARD_ENTRY } from '../dist/dashboard-process.js';
import { measureIngest } from '../dist/ingest.js';
import { parseOptions } from '../dist/options.js';
import { runAtRate, WARMUP_S } from '../dist/rate-run.js';

const BENCH_ENTRY = new URL('../dist/main.js', import.meta.url);
const ready = existsSync(BENCH_ENTRY) && existsSync(DASHBOARD_ENTRY) && hasMosquitto();
if (!ready) {
  console.warn(
    'Skipping the bench harness tests: they need the compiled bench and dashboard (npx tsc -b) and Mosquitto (apt-get install -y mosquitto).',
  );
}

/** That the bench counts right (every reading found where it should be), at sizes too small to time anything. */
describe.skipIf(!ready)('the bench harness, at a tiny size', () => {
  let broker: BrokerHandle;
  let context: BenchContext;

  beforeAll(async () => {
    broker = await startMosquitto({ logger: pino({ level: 'silent' }) });
    context = {
      options: parseOptions([], { BENCH_BACKLOG: '2000', BENCH_DEVICES: '5', BENCH_PUBLISHERS: '2' }),
      broker,
      workDir: await mkdtemp(join(tmpdir(), 'bench-harness-')),
      notes: [],
      progress: () => undefined,
    };
  });

  afterAll(async () => {
    await broker?.stop();
    if (context) await rm(context.workDir, { recursive: true, force: true });
  });

  it('drains the whole backlog through both consumers and compares their rates', {
    timeout: 120_000,
  }, async () => {
    const [bare, dashboard, ratio] = await measureIngest(context);
    expect(bare?.figures).toMatchObject({ backlog: 2000, received: 2000 });
    expect(dashboard?.figures).toMatchObject({ backlog: 2000, committed: 2000 });
    expect(ratio?.figures.ratio).toBeGreaterThan(0);
    expect(ratio?.target).toBe('>= 0.90x');
    expect(context.notes).toEqual([]);
  });

  it('delivers every paced reading to the stream watching its device, and times those after the warm-up', {
    timeout: 120_000,
  }, async () => {
    const run = await runAtRate(context, 'harness', { rate: 100, devices: 5, seconds: 2, watchEach: false });
    expect(run.protocol).toBe('device');
    expect(run.clients).toBe(5);
    expect(run.published).toBeGreaterThanOrEqual(100 * (WARMUP_S + 2) - 2);
    expect(run.failed).toBe(0);
    expect(run.received).toBe(run.published);
    expect(run.dropped).toBe(0);
    // About 2 s of the 5 s were timed.
    expect(run.latency.count).toBeGreaterThan(150);
    expect(run.latency.count).toBeLessThan(run.published);
    expect(run.latency.p50).not.toBeNull();
    expect(run.load.rssMax).toBeGreaterThan(20_000_000);
    expect(run.load.cpuPercent).toBeGreaterThan(0);
  });
});

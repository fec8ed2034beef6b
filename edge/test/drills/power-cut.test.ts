import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt } from '../integration/support/edge-process.js';
import { runPowerCutCycles } from './support/power-cut-cycles.mjs';

/**
 * Power cuts, as SIGKILL at random moments during writes: the edge's store code (edge/dist/storage, the
 * modules the edge runs) in a driver process killed 200 times (edge/bench/power-cut-drill.mjs runs more; the
 * real edge is killed in power-cut-edge.test.ts). SIGKILL ends the process between any two instructions; the
 * page cache survives it, so what it proves is that every write is one transaction and that the start after
 * any stop is right. That a committed transaction also survives the loss of the page cache is SQLite's own
 * guarantee with synchronous=FULL.
 */

describe('power cut drill: the store', () => {
  let dir: string;

  beforeAll(() => {
    assertBuilt();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-power-cut-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('200 kills during writes: the database always opens and passes quick_check, the state parses, no committed reading is lost, seq never repeats within an epoch, each command and each OTA outcome is one write', async () => {
    const { stats, problems } = await runPowerCutCycles({ dataDir: join(dir, 'data'), cycles: 200 });
    expect(problems).toEqual([]);
    expect(stats.cycles).toBe(200);
    // The drill really wrote and really cut: readings, commands and OTA outcomes, some kills during the start.
    expect(stats.committed).toBeGreaterThan(500);
    expect(stats.commands).toBeGreaterThan(100);
    expect(stats.ota).toBeGreaterThan(10);
    expect(stats.killedDuringStart).toBeGreaterThan(5);
    expect(stats.epochs).toBeGreaterThan(150);
  }, 400_000);
});

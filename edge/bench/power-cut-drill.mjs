#!/usr/bin/env node
/**
 * The power-cut drill at length: the edge's store code SIGKILLed at random moments during writes, many times
 * (the test runs 200 cycles; this runs 2000 by default), with every check of edge/test/drills/power-cut.test.ts
 * after every kill. Prints the figures and any problem; exits 1 on a problem.
 *
 *   npm run build && node edge/bench/power-cut-drill.mjs [--cycles 2000] [--dir DIR] [--max-kill-ms 60]
 *
 * DIR (default: the system's temporary folder) should be on the disk the edge would use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runPowerCutCycles } from '../test/drills/support/power-cut-cycles.mjs';

const { values: args } = parseArgs({
  options: {
    cycles: { type: 'string', default: '2000' },
    dir: { type: 'string', default: tmpdir() },
    'max-kill-ms': { type: 'string', default: '60' },
  },
});
const dataDir = mkdtempSync(join(args.dir, 'power-cut-drill-'));
const cycles = Number(args.cycles);
const started = performance.now();
console.log(`Power-cut drill: ${cycles} SIGKILLs in ${dataDir}`);
try {
  const { stats, problems } = await runPowerCutCycles({
    dataDir,
    cycles,
    maxKillMs: Number(args['max-kill-ms']),
    onCycle: (cycle, s, found) => {
      if (cycle % 100 === 0 || found.length > 0) {
        console.log(
          `  ${cycle} cycles: ${s.committed} readings committed, ${s.delivered} delivered, ${s.commands} commands, ${s.ota} OTA writes, ${found.length} problem(s)`,
        );
      }
    },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${stats.cycles} cycles in ${seconds} s (${stats.killedDuringStart} kills aimed at the start, ${stats.startsCut} before it was written)`,
  );
  console.log(`  readings committed:      ${stats.committed}`);
  console.log(
    `  readings delivered:      ${stats.delivered} (${stats.deliveredDistinct} distinct; the rest sent twice, never lost)`,
  );
  console.log(`  commands committed:      ${stats.commands}`);
  console.log(`  OTA outcomes committed:  ${stats.ota}`);
  console.log(`  epochs:                  ${stats.epochs}`);
  if (problems.length > 0) {
    console.log(`\n${problems.length} problem(s):`);
    for (const problem of problems) console.log(`  ${problem}`);
    process.exitCode = 1;
  } else {
    console.log('  problems:                none');
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

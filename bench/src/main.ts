import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hasMosquitto, MOSQUITTO_BINARY, startMosquitto } from '@fleet/cloud';
import { ConfigError, isEntryPoint } from '@fleet/shared';
import { pino } from 'pino';
import type { BenchContext } from './context.js';
import { DASHBOARD_ENTRY, REPO } from './dashboard-process.js';
import { measureFleet } from './fleet.js';
import { measureHistory } from './history.js';
import { measureIngest } from './ingest.js';
import { measureRates } from './latency.js';
import { describeMachine, loadAverage, machineLine } from './machine.js';
import { type BenchOptions, type Measurement, parseOptions, USAGE } from './options.js';
import { type ResultLine, textTable } from './report.js';
import { writeRecord } from './results-file.js';
import { measureStream } from './stream.js';

type Step = {
  covers: Measurement[];
  run: (context: BenchContext, wanted: Measurement[]) => Promise<ResultLine[]>;
};

/** The measurements in the order they run; latency and load share their runs. */
const STEPS: Step[] = [
  { covers: ['ingest'], run: measureIngest },
  { covers: ['latency', 'load'], run: measureRates },
  { covers: ['history'], run: measureHistory },
  { covers: ['stream'], run: measureStream },
  { covers: ['fleet'], run: measureFleet },
];

/** `npm run bench`: runs the chosen measurements, prints them beside their targets, writes the results files. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(argv, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 1;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (!existsSync(DASHBOARD_ENTRY)) {
    console.error(`The dashboard is not built (${DASHBOARD_ENTRY} is missing); run npm run build first.`);
    return 1;
  }
  if (!hasMosquitto()) {
    console.error(
      `The bench needs Debian's Mosquitto at ${MOSQUITTO_BINARY} (apt-get install -y mosquitto).`,
    );
    return 1;
  }
  const machine = describeMachine(MOSQUITTO_BINARY);
  const startedAt = new Date().toISOString();
  const loadBefore = loadAverage();
  const progress = (text: string) =>
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
  progress(`${machineLine(machine)}; load average ${loadBefore}`);
  const workDir = await mkdtemp(join(tmpdir(), 'fleet-bench-'));
  const brokerNotes: string[] = [];
  const confPath = options.mosquittoConf === null ? null : resolve(options.mosquittoConf);
  const broker = await startMosquitto({
    logger: pino({ level: 'silent' }),
    ...(confPath ? { confPath } : {}),
  });
  const profile = confPath ?? 'the development profile';
  progress(`Mosquitto (${profile}) on ${broker.url}; scratch folder ${workDir}`);
  if (confPath)
    brokerNotes.push(`Mosquitto ran ${confPath} (BENCH_MOSQUITTO_CONF), not the development profile.`);
  const context: BenchContext = { options, broker, workDir, notes: brokerNotes, progress };
  const results: ResultLine[] = [];
  try {
    for (const step of STEPS) {
      const wanted = step.covers.filter((name) => options.only.includes(name));
      if (wanted.length === 0) continue;
      try {
        results.push(...(await step.run(context, wanted)));
      } catch (error) {
        const message = (error as Error).message;
        progress(`${wanted.join(' and ')} failed: ${message}`);
        for (const measurement of wanted) {
          results.push({
            measurement,
            what: 'failed',
            value: message.split('\n')[0] ?? '',
            target: null,
            met: null,
            figures: {},
          });
        }
      }
    }
  } finally {
    await broker.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  const record = {
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    machine,
    load_average: { before: loadBefore, after: loadAverage() },
    settings: { ...options, help: undefined },
    results,
    notes: context.notes,
  };
  const files = writeRecord(resolve(REPO, options.out), record);
  console.log(
    `\n${machineLine(machine)}; load average ${record.load_average.before} before, ${record.load_average.after} after\n`,
  );
  console.log(textTable(results));
  if (context.notes.length > 0) console.log(`\n${context.notes.map((note) => `- ${note}`).join('\n')}`);
  console.log(`\nResults: ${files.markdown} and ${files.json}`);
  return results.some((line) => line.what === 'failed') ? 1 : 0;
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

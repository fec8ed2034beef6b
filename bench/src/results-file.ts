import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Machine, machineLine } from './machine.js';
import { markdownTable, type ResultLine } from './report.js';

export interface BenchRecord {
  started_at: string;
  finished_at: string;
  machine: Machine;
  /** 1-minute load average before and after: other work on the machine skews the numbers. */
  load_average: { before: number; after: number };
  /** The sizes and the measurements run. */
  settings: Record<string, unknown>;
  results: ResultLine[];
  notes: string[];
}

/** `2026-12-01T03-40-00Z`: a file name that sorts by time. */
export function stamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
}

/** The Markdown of a run: the machine, the load, the table, the notes. */
export function markdownRecord(record: BenchRecord): string {
  return [
    `# npm run bench, ${record.started_at}`,
    '',
    `Machine: ${machineLine(record.machine)}.`,
    `Load average (1 min): ${record.load_average.before} before, ${record.load_average.after} after; numbers taken while other work runs are indicative only.`,
    '',
    markdownTable(record.results),
    '',
    ...(record.notes.length > 0 ? ['Notes:', '', ...record.notes.map((note) => `- ${note}`), ''] : []),
    `Settings: \`${JSON.stringify(record.settings)}\``,
    '',
  ].join('\n');
}

/** Writes `<dir>/<time>.json` and `<dir>/<time>.md`; returns their paths. */
export function writeRecord(dir: string, record: BenchRecord): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, stamp(record.started_at));
  const json = `${base}.json`;
  const markdown = `${base}.md`;
  writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(markdown, markdownRecord(record));
  return { json, markdown };
}

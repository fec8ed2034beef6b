import type { Measurement } from './options.js';

/** One printed result: what was measured, its value, and the target it is held to (if any). */
export interface ResultLine {
  measurement: Measurement;
  what: string;
  value: string;
  /** The target in words, such as ">= 0.9x"; null when the line has none. */
  target: string | null;
  /** Whether the target is met; null when there is no target or nothing to judge. */
  met: boolean | null;
  /** The raw numbers behind the line, for the JSON file. */
  figures: Record<string, number | string | boolean | null>;
}

const nf = (digits: number) =>
  new Intl.NumberFormat('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const format = {
  rate: (perSecond: number | null) => (perSecond === null ? 'n/a' : `${nf(0).format(perSecond)} msg/s`),
  ms: (ms: number | null) => (ms === null ? 'n/a' : `${nf(ms < 10 ? 1 : 0).format(ms)} ms`),
  ratio: (value: number | null) => (value === null ? 'n/a' : `${nf(2).format(value)}x`),
  mb: (bytes: number | null) => (bytes === null ? 'n/a' : `${nf(0).format(bytes / 1_000_000)} MB`),
  percent: (value: number | null) => (value === null ? 'n/a' : `${nf(0).format(value)} %`),
  count: (value: number) => nf(0).format(value),
  seconds: (ms: number) => `${nf(1).format(ms / 1000)} s`,
};

/** "met", "NOT met" or nothing. */
export function verdict(met: boolean | null): string {
  return met === null ? '' : met ? 'met' : 'NOT met';
}

const HEADER = ['measurement', 'what', 'result', 'target', ''] as const;

function cells(line: ResultLine): string[] {
  return [line.measurement, line.what, line.value, line.target ?? '', verdict(line.met)];
}

/** The results as aligned columns for the terminal. */
export function textTable(lines: readonly ResultLine[]): string {
  const rows = [HEADER as readonly string[], ...lines.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The results as a Markdown table (pipes in cells escaped). */
export function markdownTable(lines: readonly ResultLine[]): string {
  const escapePipes = (cell: string) => cell.replaceAll('|', '\\|');
  const row = (values: readonly string[]) => `| ${values.map(escapePipes).join(' | ')} |`;
  return [row(HEADER), row(HEADER.map(() => '---')), ...lines.map((line) => row(cells(line)))].join('\n');
}

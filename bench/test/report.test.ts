import { describe, expect, it } from 'vitest';
import { format, markdownTable, type ResultLine, textTable, verdict } from '../src/report.js';
import { markdownRecord, stamp } from '../src/results-file.js';

const lines: ResultLine[] = [
  {
    measurement: 'ingest',
    what: 'dashboard / bare subscriber',
    value: '0.35x',
    target: '>= 0.90x',
    met: false,
    figures: { ratio: 0.35 },
  },
  {
    measurement: 'history',
    what: '7 d | week',
    value: 'p50 12 ms',
    target: 'p95 < 50 ms',
    met: true,
    figures: {},
  },
  { measurement: 'load', what: 'CPU', value: '40 %', target: null, met: null, figures: {} },
];

describe('result formatting', () => {
  it('writes numbers for people', () => {
    expect(format.rate(152_345.6)).toBe('152,346 msg/s');
    expect(format.ms(3.456)).toBe('3.5 ms');
    expect(format.ms(61.4)).toBe('61 ms');
    expect(format.ms(null)).toBe('n/a');
    expect(format.ratio(0.345)).toBe('0.35x');
    expect(format.mb(145_600_000)).toBe('146 MB');
    expect(format.seconds(4321)).toBe('4.3 s');
    expect(verdict(true)).toBe('met');
    expect(verdict(false)).toBe('NOT met');
    expect(verdict(null)).toBe('');
  });

  it('aligns the terminal table by column', () => {
    const table = textTable(lines).split('\n');
    expect(table).toHaveLength(4);
    const column = (row: string) => row.indexOf(row.includes('0.35x') ? '0.35x' : 'result');
    expect(column(table[1] as string)).toBe(column(table[0] as string));
    expect(table[1]).toMatch(/>= 0\.90x\s+NOT met$/);
    expect(table[3]).toMatch(/40 %$/);
  });

  it('writes a Markdown table with pipes escaped', () => {
    expect(markdownTable(lines).split('\n')).toEqual([
      '| measurement | what | result | target |  |',
      '| --- | --- | --- | --- | --- |',
      '| ingest | dashboard / bare subscriber | 0.35x | >= 0.90x | NOT met |',
      '| history | 7 d \\| week | p50 12 ms | p95 < 50 ms | met |',
      '| load | CPU | 40 % |  |  |',
    ]);
  });

  it('states the machine and the load beside the results, in a file named by time', () => {
    expect(stamp('2026-12-01T03:40:00.123Z')).toBe('2026-12-01T03-40-00Z');
    const text = markdownRecord({
      started_at: '2026-12-01T03:40:00.123Z',
      finished_at: '2026-12-01T03:50:00.000Z',
      machine: {
        cpus: 2,
        cpu_model: 'AMD EPYC',
        memory_gb: 24,
        os: 'Linux 6',
        node: 'v20.20.2',
        mosquitto: '2.0.11',
      },
      load_average: { before: 3.1, after: 4.2 },
      settings: { backlog: 200_000 },
      results: lines,
      notes: ['Something to know.'],
    });
    expect(text).toContain('Machine: 2 × AMD EPYC, 24 GiB RAM, Linux 6, Node v20.20.2, Mosquitto 2.0.11.');
    expect(text).toContain('Load average (1 min): 3.1 before, 4.2 after');
    expect(text).toContain('| ingest | dashboard / bare subscriber | 0.35x | >= 0.90x | NOT met |');
    expect(text).toContain('- Something to know.');
  });
});

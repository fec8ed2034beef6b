import { ConfigError } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { MEASUREMENTS, parseOptions } from '../src/options.js';

describe('bench options', () => {
  it('runs everything at full size by default', () => {
    const options = parseOptions([], {});
    expect(options.only).toEqual([...MEASUREMENTS]);
    expect(options).toMatchObject({
      backlog: 200_000,
      rates: [1000, 10_000],
      historyDevices: 100,
      historyDays: 7,
      streamClients: 1000,
      fleetDevices: 10_000,
      dataDir: '.bench-data',
      out: 'bench-results',
      help: false,
    });
  });

  it('runs a subset, in the bench order whatever the order given', () => {
    expect(parseOptions(['--only', 'history,ingest'], {}).only).toEqual(['ingest', 'history']);
    expect(parseOptions(['--only=Stream'], {}).only).toEqual(['stream']);
  });

  it('is sized down from the environment', () => {
    const options = parseOptions([], {
      BENCH_BACKLOG: '20000',
      BENCH_RATES: '500, 2000',
      BENCH_HISTORY_DEVICES: '10',
      BENCH_DIR: '/tmp/x',
      BENCH_SECONDS: '',
    });
    expect(options).toMatchObject({
      backlog: 20_000,
      rates: [500, 2000],
      historyDevices: 10,
      dataDir: '/tmp/x',
      seconds: 20,
    });
  });

  it('refuses a bad value with one sentence naming it, the value and what is accepted', () => {
    expect(() => parseOptions(['--only', 'ingest,speed'], {})).toThrow(
      new ConfigError(
        'Option --only received "ingest,speed"; accepted: one or more of ingest, latency, load, history, stream, fleet, separated by commas.',
      ),
    );
    expect(() => parseOptions([], { BENCH_BACKLOG: '10' })).toThrow(
      'Environment variable BENCH_BACKLOG received "10"; accepted: a whole number from 1000 to 1000000.',
    );
    expect(() => parseOptions([], { BENCH_RATES: '1000,fast' })).toThrow(
      /BENCH_RATES received "1000,fast"; accepted: messages per second/,
    );
    expect(() => parseOptions(['--fast'], {})).toThrow(
      'Option --fast is not accepted; accepted options: --only, --out, --help.',
    );
  });
});

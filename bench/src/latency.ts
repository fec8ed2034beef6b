import type { BenchContext } from './context.js';
import type { Measurement } from './options.js';
import { type RateRun, runAtRate } from './rate-run.js';
import { format, type ResultLine } from './report.js';

const P99_TARGET_MS = 50;
/** The latency target is stated at this rate (and holds above it). */
const TARGET_RATE = 10_000;

/**
 * 2. Latency and 3. Load: at each rate of BENCH_RATES, BENCH_DEVICES devices publish and one event stream per
 * device watches them (a single stream of every device before the per-device protocol); publish to event
 * stream p50 and p99, and the dashboard's CPU and RSS over the same window.
 */
export async function measureRates(
  context: BenchContext,
  wanted: readonly Measurement[],
): Promise<ResultLine[]> {
  const lines: ResultLine[] = [];
  const { devices, seconds } = context.options;
  for (const rate of context.options.rates) {
    context.progress(
      `latency and load: ${format.count(rate)} msg/s from ${devices} devices for ${seconds} s`,
    );
    const run = await runAtRate(context, `rate-${rate}`, { rate, devices, seconds, watchEach: false });
    noteProblems(context, run);
    const label = `${format.count(rate)} msg/s, ${devices} devices`;
    const figures = {
      rate,
      devices,
      seconds,
      clients: run.clients,
      protocol: run.protocol,
      published: run.published,
      failed: run.failed,
      received: run.received,
      samples: run.latency.count,
    };
    if (wanted.includes('latency')) {
      const judged = rate >= TARGET_RATE && run.latency.p99 !== null;
      lines.push({
        measurement: 'latency',
        what: `publish to event stream, ${label}`,
        value: `p50 ${format.ms(run.latency.p50)}, p99 ${format.ms(run.latency.p99)}`,
        target: rate >= TARGET_RATE ? `p99 < ${P99_TARGET_MS} ms` : null,
        met: judged ? (run.latency.p99 as number) < P99_TARGET_MS : null,
        figures: {
          ...figures,
          p50_ms: run.latency.p50,
          p95_ms: run.latency.p95,
          p99_ms: run.latency.p99,
          max_ms: run.latency.max,
        },
      });
    }
    if (wanted.includes('load')) {
      lines.push({
        measurement: 'load',
        what: `dashboard CPU and RSS, ${label}`,
        value: `CPU ${format.percent(run.load.cpuPercent)} of a core, RSS ${format.mb(run.load.rssMax)}`,
        target: null,
        met: null,
        figures: {
          ...figures,
          cpu_percent: run.load.cpuPercent,
          rss_max_bytes: run.load.rssMax,
          rss_end_bytes: run.load.rssEnd,
        },
      });
    }
  }
  return lines;
}

/** What a reader of the numbers must know about a run: events missing, publishes refused, streams dropped. */
export function noteProblems(context: BenchContext, run: RateRun): void {
  const where = `${format.count(run.rate)} msg/s, ${run.devices} devices`;
  if (run.protocol === 'all') {
    context.notes.push(
      `${where}: the dashboard refused GET /api/events?device=…&fleet=none (400), so each client received every device's events and kept its own (the stream protocol of issue 10 was not there yet).`,
    );
  }
  if (run.failed > 0)
    context.notes.push(`${where}: ${run.failed} publishes were not acknowledged by the broker.`);
  if (run.dropped > 0)
    context.notes.push(
      `${where}: the dashboard ended ${run.dropped} of ${run.clients} event streams during the run.`,
    );
  const expected = run.published;
  if (run.received < expected * 0.99) {
    context.notes.push(
      `${where}: ${run.received} telemetry events reached the watching clients for ${expected} readings published.`,
    );
  }
}

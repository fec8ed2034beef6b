import type { BenchContext } from './context.js';
import { noteProblems } from './latency.js';
import { runAtRate } from './rate-run.js';
import { format, type ResultLine } from './report.js';

/** The default cap of event stream clients (EVENT_STREAM_MAX_CLIENTS); a bigger run raises it. */
const DEFAULT_MAX_CLIENTS = 2000;

/**
 * 5. Event stream: BENCH_STREAM_CLIENTS clients, each watching its own device, while as many devices publish
 * a reading a second each: delivery latency and the dashboard's RSS.
 */
export async function measureStream(context: BenchContext): Promise<ResultLine[]> {
  const clients = context.options.streamClients;
  const seconds = context.options.seconds;
  context.progress(
    `event stream: ${clients} clients, each watching one of ${clients} devices publishing 1 reading/s, ${seconds} s`,
  );
  const run = await runAtRate(context, 'stream', {
    rate: clients,
    devices: clients,
    seconds,
    watchEach: true,
    ...(clients > DEFAULT_MAX_CLIENTS - 10
      ? { env: { EVENT_STREAM_MAX_CLIENTS: String(clients + 10) } }
      : {}),
  });
  noteProblems(context, run);
  const label = `${format.count(clients)} clients, one device each, ${format.count(clients)} devices at 1 reading/s`;
  const figures = {
    clients: run.clients,
    devices: run.devices,
    seconds,
    protocol: run.protocol,
    published: run.published,
    received: run.received,
    dropped: run.dropped,
    samples: run.latency.count,
  };
  return [
    {
      measurement: 'stream',
      what: `delivery latency, ${label}`,
      value: `p50 ${format.ms(run.latency.p50)}, p99 ${format.ms(run.latency.p99)}`,
      target: null,
      met: null,
      figures: {
        ...figures,
        p50_ms: run.latency.p50,
        p95_ms: run.latency.p95,
        p99_ms: run.latency.p99,
        max_ms: run.latency.max,
      },
    },
    {
      measurement: 'stream',
      what: `dashboard RSS, ${label}`,
      value: `${format.mb(run.load.rssMax)} (CPU ${format.percent(run.load.cpuPercent)} of a core)`,
      target: null,
      met: null,
      figures: {
        ...figures,
        rss_max_bytes: run.load.rssMax,
        rss_end_bytes: run.load.rssEnd,
        cpu_percent: run.load.cpuPercent,
      },
    },
  ];
}

import { type BenchContext, sleep, startDashboard, stopDashboard } from './context.js';
import { type LoadFigures, LoadSampler } from './proc.js';
import { startPacedPublishers } from './publish-worker.js';
import type { EventStream } from './sse.js';
import { type Distribution, distribution } from './stats.js';
import { deviceIds } from './telemetry.js';
import { detectProtocol, LatencyCollector, openWatchers, type StreamProtocol } from './watchers.js';

/** Seconds of publishing before the window that is measured. */
export const WARMUP_S = 3;

export interface RateRun {
  rate: number;
  devices: number;
  /** Event stream clients (one per device with the per-device protocol). */
  clients: number;
  protocol: StreamProtocol;
  published: number;
  failed: number;
  latency: Distribution;
  /** Telemetry events of watched devices received, warm-up included. */
  received: number;
  /** Streams the dashboard ended during the run (dropped as slow, or closed). */
  dropped: number;
  load: LoadFigures;
}

/**
 * A fresh compiled dashboard; `devices` devices publish at `rate` readings per second in all (paced, from
 * a worker thread) for the warm-up and `seconds`, while event stream clients watch them: one per device
 * (`watchEach`) or a single one for all. Latency and the dashboard's CPU and RSS are taken after the warm-up.
 */
export async function runAtRate(
  context: BenchContext,
  name: string,
  settings: {
    rate: number;
    devices: number;
    seconds: number;
    watchEach: boolean;
    env?: Record<string, string>;
  },
): Promise<RateRun> {
  const ids = deviceIds(settings.devices);
  const dashboard = await startDashboard(context, name, settings.env ? { env: settings.env } : {});
  let streams: EventStream[] = [];
  try {
    const protocol = await detectProtocol(dashboard.url, ids[0] as string);
    const collector = new LatencyCollector();
    const watched: Array<string | null> = settings.watchEach || protocol === 'device' ? ids : [null];
    streams = await openWatchers(dashboard.url, protocol, watched, collector);
    const publishers = await startPacedPublishers({
      url: context.broker.url,
      clients: context.options.publishers,
      devices: ids,
      epoch: name.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'bench',
      name: `bench-${name}`,
      rate: settings.rate,
      seconds: WARMUP_S + settings.seconds,
    });
    const sampler = new LoadSampler(dashboard.pid);
    collector.from = Date.now() + WARMUP_S * 1000;
    const warmup = setTimeout(() => sampler.start(), WARMUP_S * 1000);
    const outcome = await publishers.go();
    clearTimeout(warmup);
    const load = sampler.stop();
    // The last readings' events.
    await sleep(1000);
    return {
      rate: settings.rate,
      devices: settings.devices,
      clients: streams.length,
      protocol,
      published: outcome.sent,
      failed: outcome.failed,
      latency: distribution(collector.samples),
      received: collector.received,
      dropped: streams.filter((stream) => stream.ended).length,
      load,
    };
  } finally {
    for (const stream of streams) stream.close();
    await stopDashboard(context, dashboard);
  }
}

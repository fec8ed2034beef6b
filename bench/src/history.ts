import { resolve } from 'node:path';
import { type BenchContext, sleep, startDashboard, stopDashboard } from './context.js';
import type { DashboardProcess } from './dashboard-process.js';
import { REPO } from './dashboard-process.js';
import { databaseBytes, ensureHistoryData } from './history-data.js';
import { format, type ResultLine } from './report.js';
import { distribution } from './stats.js';

const P95_TARGET_MS = 50;
/** The chart ranges, with the number of points the page asks for (dashboard/web/history.ts). */
export const CHART_RANGES = [
  { label: '1 h', ms: 3_600_000, limit: 1000 },
  { label: '24 h', ms: 86_400_000, limit: 1500 },
  { label: '7 d', ms: 604_800_000, limit: 1050 },
] as const;
/**
 * The dashboard's rollups catch up with a database filled elsewhere when it starts, in the background; it
 * says so (dashboard/src/storage/rollup-job.ts) when the backlog is large. Timing waits for the end.
 */
const CATCH_UP_STARTED = /Rolling up \d+ stored readings/;
const CATCH_UP_DONE = /Rollups caught up/;
const CATCH_UP_LIMIT_MS = 3 * 3_600_000;
const WARMUP_QUERIES = 2;

/**
 * 4. History: the chart queries of one device (1 h, 24 h, 7 d ending at the newest reading) against a
 * week of 1 Hz readings of BENCH_HISTORY_DEVICES devices, made once and kept in BENCH_DIR; p50 and p95 of
 * the whole HTTP request, one at a time. Also /healthz while a 7 d query runs (the server has one thread).
 */
export async function measureHistory(context: BenchContext): Promise<ResultLine[]> {
  const { historyDevices, historyDays, historyQueries } = context.options;
  const baseDir = resolve(REPO, context.options.dataDir);
  const data = ensureHistoryData(baseDir, historyDevices, historyDays, context.progress);
  const bytes = databaseBytes(data.folder);
  const made = data.generatedNow ? 'made by this run' : 'made by an earlier run and reused';
  context.progress(
    `history: ${format.count(data.rows)} readings in ${data.folder} (${format.mb(bytes)}; ${made}; making it took ${format.seconds(data.generationMs)})`,
  );
  const dashboard = await startDashboard(context, 'history', {
    dataDir: data.folder,
    // The data must outlive the retention whenever the cache is reused.
    env: { HISTORY_DAYS: '3650' },
  });
  const lines: ResultLine[] = [
    {
      measurement: 'history',
      what: `data: ${format.count(data.rows)} readings, ${historyDevices} devices × ${historyDays} d at 1 Hz`,
      value: `${format.mb(bytes)} on disk; made in ${format.seconds(data.generationMs)}${data.generatedNow ? '' : ' (earlier run)'}`,
      target: null,
      met: null,
      figures: {
        rows: data.rows,
        bytes,
        generation_ms: Math.round(data.generationMs),
        generated_now: data.generatedNow,
      },
    },
  ];
  try {
    const catchUpMs = await waitForRollups(context, dashboard);
    if (catchUpMs !== null) {
      lines.push({
        measurement: 'history',
        what: 'rollups caught up at the dashboard start',
        value: format.seconds(catchUpMs),
        target: null,
        met: null,
        figures: { catch_up_ms: catchUpMs },
      });
    }
    const device = data.devices[Math.floor(data.devices.length / 2)] as string;
    const forms = (await acceptsBuckets(dashboard, device, data.endMs))
      ? (['buckets', 'readings'] as const)
      : (['readings'] as const);
    if (forms.length === 1)
      context.notes.push(
        'History: the server has no form=buckets yet; the readings form (thinned rows) was timed.',
      );
    for (const form of forms) {
      for (const range of CHART_RANGES) {
        const from = Math.max(data.startMs, data.endMs - range.ms);
        const url = historyUrl(dashboard.url, device, from, data.endMs, range.limit, form);
        const times: number[] = [];
        let points = 0;
        for (let i = 0; i < WARMUP_QUERIES + historyQueries; i++) {
          const { ms, body } = await timedGet(url);
          if (i >= WARMUP_QUERIES) times.push(ms);
          points = countPoints(body);
        }
        const d = distribution(times);
        const judged = range.label === '7 d';
        lines.push({
          measurement: 'history',
          what: `${range.label} chart of ${device}, form=${form}, limit ${range.limit}`,
          value: `p50 ${format.ms(d.p50)}, p95 ${format.ms(d.p95)} (${points} points)`,
          target: judged ? `p95 < ${P95_TARGET_MS} ms` : null,
          met: judged && d.p95 !== null ? d.p95 < P95_TARGET_MS : null,
          figures: {
            form,
            range_ms: range.ms,
            limit: range.limit,
            points,
            queries: d.count,
            p50_ms: d.p50,
            p95_ms: d.p95,
            max_ms: d.max,
          },
        });
      }
    }
    const week = CHART_RANGES[2];
    const blocked = await healthzDuring(
      historyUrl(
        dashboard.url,
        device,
        Math.max(data.startMs, data.endMs - week.ms),
        data.endMs,
        week.limit,
        forms[0],
      ),
      `${dashboard.url}/healthz`,
      Math.min(historyQueries, 20),
    );
    lines.push({
      measurement: 'history',
      what: `/healthz sent while a 7 d query (form=${forms[0]}) runs`,
      value: `p50 ${format.ms(blocked.p50)}, max ${format.ms(blocked.max)}`,
      target: null,
      met: null,
      figures: { p50_ms: blocked.p50, p95_ms: blocked.p95, max_ms: blocked.max, rounds: blocked.count },
    });
  } finally {
    await stopDashboard(context, dashboard);
  }
  return lines;
}

/** Waits for the rollups' catch-up, when the dashboard announced one; null when it did not. */
async function waitForRollups(context: BenchContext, dashboard: DashboardProcess): Promise<number | null> {
  const started = performance.now();
  await sleep(3000);
  if (!dashboard.lines.some((line) => CATCH_UP_STARTED.test(line))) return null;
  context.progress('history: waiting for the rollups to catch up with the data (once per database)');
  await dashboard.waitForLine(CATCH_UP_DONE, CATCH_UP_LIMIT_MS, 'that its rollups caught up');
  return performance.now() - started;
}

export function historyUrl(
  base: string,
  device: string,
  from: number,
  to: number,
  limit: number,
  form: string,
): string {
  const query = new URLSearchParams({
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    limit: String(limit),
    ...(form === 'readings' ? {} : { form }),
  });
  return `${base}/api/devices/${encodeURIComponent(device)}/history?${query}`;
}

async function acceptsBuckets(dashboard: DashboardProcess, device: string, to: number): Promise<boolean> {
  const response = await fetch(historyUrl(dashboard.url, device, to - 3_600_000, to, 10, 'buckets'));
  await response.text();
  return response.status === 200;
}

/** The time of a whole GET (until the body is read); anything but 200 is an error. */
async function timedGet(url: string): Promise<{ ms: number; body: string }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200)
    throw new Error(`GET ${url} answered ${response.status}: ${body.slice(0, 300)}`);
  return { ms, body };
}

/** Points in a history answer: its buckets when it has them, else its readings. */
export function countPoints(body: string): number {
  const answer = JSON.parse(body) as { history?: unknown[]; buckets?: unknown[] };
  return (answer.buckets ?? answer.history ?? []).length;
}

/** Times /healthz sent 5 ms after each of `rounds` history queries. */
async function healthzDuring(queryUrl: string, healthUrl: string, rounds: number) {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const query = timedGet(queryUrl);
    await sleep(5);
    const started = performance.now();
    const response = await fetch(healthUrl);
    await response.text();
    times.push(performance.now() - started);
    await query;
  }
  return distribution(times);
}

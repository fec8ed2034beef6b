import type { ChartConfiguration, Chart as ChartJs } from 'chart.js';
import {
  configFor,
  LEAD_SHARE,
  type Point,
  SERIES,
  type SeriesSpec,
  THRESHOLD_NEAR_C,
} from './chart-config.js';
import { h } from './dom.js';
import { gapLimit, lonePoints } from './series-gaps.js';
import type { StoredReading } from './types.js';

type LineChart = ChartJs<'line', Point[]>;
type ChartConstructor = new (
  item: HTMLCanvasElement,
  config: ChartConfiguration<'line', Point[]>,
) => LineChart;

/** Chart.js is loaded by a classic script tag as the global `Chart` (no bundler, no CDN). */
function chartConstructor(): ChartConstructor {
  const chartClass = (globalThis as unknown as { Chart?: ChartConstructor }).Chart;
  if (!chartClass)
    throw new Error('Chart.js is not loaded: /vendor/chart.umd.js must come before the page script.');
  return chartClass;
}

function readingValue(reading: StoredReading, metric: SeriesSpec['metric']): number | null {
  const value = reading[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A reading's identity: the device, its storage epoch (none before contract 2) and seq. */
function readingKey(reading: StoredReading): string {
  return `${reading.device_id}/${reading.epoch ?? ''}/${reading.seq}`;
}

/** Where a point at `x` goes to keep the series in time order: after the points at or before `x`. */
function insertionIndex(series: readonly Point[], x: number): number {
  let low = 0;
  let high = series.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((series[middle]?.x ?? 0) <= x) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Four time-axis line charts (one per reading), drawn from points the history panel gives them. */
export class HistoryCharts {
  private readonly charts = new Map<SeriesSpec['metric'], LineChart>();
  private readonly points = new Map<SeriesSpec['metric'], Point[]>();
  private readonly notes = new Map<SeriesSpec['metric'], HTMLElement>();
  /** The readings drawn, by identity, with their time: a redelivered or already loaded one is not added. */
  private readonly shown = new Map<string, number>();
  private threshold: number | null = null;
  private window: { from: number; to: number } = { from: 0, to: 0 };
  private frame: number | null = null;

  constructor(
    private readonly doc: Document,
    private readonly container: HTMLElement,
  ) {}

  /** Creates the canvases and charts; call once the page is in the document. */
  start(): void {
    const ChartClass = chartConstructor();
    for (const spec of SERIES) {
      const canvas = h(this.doc, 'canvas', {
        role: 'img',
        'aria-label': `${spec.label} history chart`,
        'data-metric': spec.metric,
      });
      // Through the CSSOM, not a style attribute: the Content-Security-Policy allows no inline style.
      const swatch = h(this.doc, 'span', { class: 'swatch' });
      swatch.style.background = spec.color;
      const figure = h(
        this.doc,
        'figure',
        { class: 'chart card', 'data-metric': spec.metric },
        h(
          this.doc,
          'figcaption',
          {},
          swatch,
          `${spec.label} `,
          h(this.doc, 'span', { class: 'muted' }, spec.unit),
        ),
        h(this.doc, 'div', { class: 'chart-box' }, canvas),
      );
      const note = h(this.doc, 'p', { class: 'chart-empty' });
      figure.append(note);
      this.notes.set(spec.metric, note);
      this.container.append(figure);
      this.points.set(spec.metric, []);
      this.charts.set(
        spec.metric,
        new ChartClass(
          canvas,
          configFor(spec, () => this.threshold),
        ),
      );
    }
  }

  stop(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    for (const chart of this.charts.values()) chart.destroy();
    this.charts.clear();
    this.points.clear();
    this.notes.clear();
    this.container.replaceChildren();
  }

  /** Replaces every series with `readings` (oldest first) shown over [from, to]. */
  show(readings: StoredReading[], from: number, to: number): void {
    this.window = { from, to };
    this.fill(readings);
    const last = readings[readings.length - 1];
    for (const spec of SERIES) {
      const empty = (this.points.get(spec.metric)?.length ?? 0) === 0;
      let note = '';
      if (empty)
        note = last ? `Not measured by the ${last.source.toUpperCase()} sensor` : 'No readings in this range';
      this.setNote(spec.metric, note);
    }
    this.redraw();
  }

  /** Empties the charts while a range is loading (no "no readings" note yet: that is not known). */
  clear(from: number, to: number): void {
    this.window = { from, to };
    this.fill([]);
    for (const spec of SERIES) this.setNote(spec.metric, '');
    this.redraw();
  }

  private fill(readings: StoredReading[]): void {
    const { from } = this.window;
    this.shown.clear();
    for (const reading of readings) {
      const x = Date.parse(reading.trusted_at);
      if (x >= from) this.shown.set(readingKey(reading), x);
    }
    for (const spec of SERIES) {
      const series: Point[] = [];
      for (const reading of readings) {
        const y = readingValue(reading, spec.metric);
        const x = Date.parse(reading.trusted_at);
        if (y !== null && x >= from) series.push({ x, y });
      }
      this.points.set(spec.metric, series);
    }
  }

  private setNote(metric: SeriesSpec['metric'], text: string): void {
    const note = this.notes.get(metric);
    if (!note) return;
    note.textContent = text;
    note.hidden = text === '';
  }

  /**
   * Adds a live reading where its time puts it (one delivered late, from a device's outbox, goes among the
   * others; several filed under the same time all count) and slides the window to keep its width when it
   * is the newest. A reading already drawn is left out.
   */
  append(reading: StoredReading): void {
    const x = Date.parse(reading.trusted_at);
    const key = readingKey(reading);
    if (Number.isNaN(x) || this.shown.has(key)) return;
    const width = this.window.to - this.window.from;
    this.window = { from: Math.max(this.window.from, x - width), to: Math.max(this.window.to, x) };
    const { from } = this.window;
    if (x < from) return;
    this.shown.set(key, x);
    for (const spec of SERIES) {
      const series = this.points.get(spec.metric);
      const y = readingValue(reading, spec.metric);
      if (!series || y === null) continue;
      series.splice(insertionIndex(series, x), 0, { x, y });
      if (series.length === 1) this.setNote(spec.metric, '');
      const firstKept = series.findIndex((point) => point.x >= from);
      if (firstKept > 0) series.splice(0, firstKept);
    }
    for (const [shownKey, shownX] of this.shown) if (shownX < from) this.shown.delete(shownKey);
    this.redraw();
  }

  /** Slides the window to end at `now` without new data (a silent device shows its gap). */
  slideTo(now: number): void {
    const width = this.window.to - this.window.from;
    if (width <= 0 || now <= this.window.to) return;
    this.window = { from: now - width, to: now };
    this.redraw();
  }

  setThreshold(value: number | null): void {
    if (value === this.threshold) return;
    this.threshold = value;
    this.redraw();
  }

  /** How many readings the charts hold, to tell "no data in this range" apart. */
  count(): number {
    return Math.max(0, ...[...this.points.values()].map((series) => series.length));
  }

  /** Draws at the next frame: a burst of readings costs one redraw. */
  private redraw(): void {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.draw();
    });
  }

  private draw(): void {
    const { from, to } = this.window;
    const firsts = [...this.points.values()].flatMap((series) => (series[0] ? [series[0].x] : []));
    const first = firsts.length > 0 ? Math.min(...firsts) : from;
    const start = Math.max(from, first - Math.max(1000, (to - first) * LEAD_SHARE));
    for (const spec of SERIES) {
      const chart = this.charts.get(spec.metric);
      const series = this.points.get(spec.metric) ?? [];
      if (!chart) continue;
      // Break the line where readings stop for a while, instead of drawing across the gap; a reading
      // that no line reaches (alone between two silences) is drawn as a dot.
      const maxGap = gapLimit(series, to - from);
      const [main, lone] = chart.data.datasets;
      if (main) {
        main.data = [...series];
        main.spanGaps = maxGap;
      }
      if (lone) lone.data = lonePoints(series, maxGap);
      const x = chart.options.scales?.x;
      if (x) {
        x.min = start;
        x.max = to;
      }
      const y = chart.options.scales?.y;
      if (y && spec.metric === 'temperature') {
        const [low, high] = this.nearThreshold(series);
        y.suggestedMin = low;
        y.suggestedMax = high;
      }
      chart.update('none');
    }
  }

  /** Axis bounds that show the threshold line when it is close to the readings. */
  private nearThreshold(series: Point[]): [number | undefined, number | undefined] {
    const threshold = this.threshold;
    if (threshold === null || series.length === 0) return [undefined, undefined];
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const point of series) {
      if (point.y < min) min = point.y;
      if (point.y > max) max = point.y;
    }
    if (threshold > max && threshold - max <= THRESHOLD_NEAR_C) return [undefined, threshold + 0.5];
    if (threshold < min && min - threshold <= THRESHOLD_NEAR_C) return [threshold - 0.5, undefined];
    return [undefined, undefined];
  }
}

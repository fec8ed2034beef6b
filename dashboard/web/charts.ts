import type { ChartConfiguration } from 'chart.js';
import { configFor, LEAD_SHARE, type Point, SERIES } from './chart-config.js';
import { drawSeries, type LineChart } from './chart-draw.js';
import {
  addValue,
  dropBefore,
  type Metric,
  readingValue,
  type Sample,
  samplesOfBuckets,
  samplesOfReadings,
} from './chart-series.js';
import { h, setText } from './dom.js';
import type { HistoryResponse, StoredReading } from './types.js';
import { convert, METRIC, type UnitChoice, unitOf } from './units.js';

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

/** A reading's identity: the device, its storage epoch (none before contract 2) and seq. */
function readingKey(reading: StoredReading): string {
  return `${reading.device_id}/${reading.epoch ?? ''}/${reading.seq}`;
}

/**
 * Four time-axis line charts (one per measurement), drawn from what the history panel gives them: the
 * readings of the range, or time buckets (average as the line, a band from min to max) when the server cut
 * a long range into buckets. Live readings are added as points, or into their bucket.
 */
export class HistoryCharts {
  private readonly charts = new Map<Metric, LineChart>();
  private readonly points = new Map<Metric, Sample[]>();
  private readonly notes = new Map<Metric, HTMLElement>();
  private readonly unitLabels = new Map<Metric, HTMLElement>();
  private units: UnitChoice = METRIC;
  /** The readings drawn, by identity, with their time: a redelivered or already loaded one is not added. */
  private readonly shown = new Map<string, number>();
  /** The width of the buckets shown; null: readings. */
  private bucketMs: number | null = null;
  /** Form buckets: live readings filed up to this time are in the buckets already. */
  private loadedTo = Number.NEGATIVE_INFINITY;
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
      const unit = h(this.doc, 'span', { class: 'muted chart-unit' }, unitOf(this.units, spec.metric));
      this.unitLabels.set(spec.metric, unit);
      const figure = h(
        this.doc,
        'figure',
        { class: 'chart card', 'data-metric': spec.metric },
        h(this.doc, 'figcaption', {}, swatch, `${spec.label} `, unit),
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
          configFor(
            spec,
            () => this.shownThreshold(),
            () => this.units,
          ),
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
    this.unitLabels.clear();
    this.container.replaceChildren();
  }

  /** Replaces every series with the server's answer for [from, to]: readings (oldest first) or buckets. */
  show(answer: Pick<HistoryResponse, 'history' | 'bucket_ms' | 'buckets'>, from: number, to: number): void {
    this.window = { from, to };
    const buckets = answer.bucket_ms === null ? null : (answer.buckets ?? []);
    if (buckets) {
      this.bucketMs = answer.bucket_ms;
      this.loadedTo = to;
      this.shown.clear();
      for (const spec of SERIES) this.points.set(spec.metric, samplesOfBuckets(buckets, spec.metric));
    } else {
      this.fill(answer.history);
    }
    const last = answer.history[answer.history.length - 1];
    const any = last !== undefined || (buckets?.length ?? 0) > 0;
    for (const spec of SERIES) {
      const empty = (this.points.get(spec.metric)?.length ?? 0) === 0;
      let note = '';
      if (empty && !any) note = 'No readings in this range';
      else if (empty) note = `Not measured by the ${last ? last.source.toUpperCase() : "device's"} sensor`;
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
    this.bucketMs = null;
    this.loadedTo = Number.NEGATIVE_INFINITY;
    this.shown.clear();
    for (const reading of readings) {
      const x = Date.parse(reading.trusted_at);
      if (x >= from) this.shown.set(readingKey(reading), x);
    }
    for (const spec of SERIES) this.points.set(spec.metric, samplesOfReadings(readings, spec.metric, from));
  }

  private setNote(metric: Metric, text: string): void {
    const note = this.notes.get(metric);
    if (!note) return;
    note.textContent = text;
    note.hidden = text === '';
  }

  /**
   * Adds a live reading where its time puts it (one delivered late, from a device's outbox, goes among the
   * others; several filed under the same time all count), into its bucket when buckets are shown, and slides
   * the window to keep its width when it is the newest. A reading already drawn is left out; with buckets,
   * so is one that arrived while they loaded and is filed before their end (the server counted it).
   */
  append(reading: StoredReading, whileLoading = false): void {
    const x = Date.parse(reading.trusted_at);
    const key = readingKey(reading);
    if (Number.isNaN(x) || this.shown.has(key)) return;
    if (whileLoading && this.bucketMs !== null && x <= this.loadedTo) return;
    const width = this.window.to - this.window.from;
    this.window = { from: Math.max(this.window.from, x - width), to: Math.max(this.window.to, x) };
    const { from } = this.window;
    if (x < from) return;
    this.shown.set(key, x);
    for (const spec of SERIES) {
      const series = this.points.get(spec.metric);
      const y = readingValue(reading, spec.metric);
      if (!series || y === null) continue;
      addValue(series, x, y, this.bucketMs);
      if (series.length === 1) this.setNote(spec.metric, '');
      dropBefore(series, from, this.bucketMs);
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

  /** Draws the values, axes and tooltips in `units` from now on (the data stays metric). */
  setUnits(units: UnitChoice): void {
    if (units === this.units) return;
    this.units = units;
    for (const [metric, label] of this.unitLabels) setText(label, unitOf(units, metric));
    this.redraw();
  }

  /** The threshold (°C). */
  setThreshold(value: number | null): void {
    if (value === this.threshold) return;
    this.threshold = value;
    this.redraw();
  }

  /** How many readings the charts hold (those in their buckets), to tell "no data in this range" apart. */
  count(): number {
    return Math.max(
      0,
      ...[...this.points.values()].map((series) => series.reduce((sum, sample) => sum + sample.n, 0)),
    );
  }

  /** The width of the buckets shown, or null for readings. */
  bucketWidth(): number | null {
    return this.bucketMs;
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
    const view = { from, to, start, bucketMs: this.bucketMs, units: this.units, threshold: this.threshold };
    for (const spec of SERIES) {
      const chart = this.charts.get(spec.metric);
      const series = this.points.get(spec.metric) ?? [];
      if (!chart) continue;
      drawSeries(chart, spec.metric, series, view);
    }
  }

  /** The threshold line's value, in the units chosen. */
  private shownThreshold(): number | null {
    return this.threshold === null ? null : convert(this.units, 'temperature', this.threshold);
  }
}

/** Puts a metric's samples into its Chart.js chart: the line, lone dots, the bucket band and the axes. */
import type { Chart as ChartJs } from 'chart.js';
import { type Point, THRESHOLD_NEAR_C } from './chart-config.js';
import type { Metric, Sample } from './chart-series.js';
import { gapLimit, lonePoints } from './series-gaps.js';
import { convert, isMetric, type UnitChoice } from './units.js';

export type LineChart = ChartJs<'line', Point[]>;

/** What the charts are drawn with: the window, where the x axis starts, buckets, units and threshold. */
export interface ChartView {
  from: number;
  to: number;
  /** The x axis's start: the window's, or just before the first sample of a device newer than it. */
  start: number;
  /** The width of the buckets shown; null: readings. */
  bucketMs: number | null;
  units: UnitChoice;
  /** The threshold (°C). */
  threshold: number | null;
}

/** Draws one chart's series (metric values) in the view's units, and updates the chart. */
export function drawSeries(chart: LineChart, metric: Metric, series: Sample[], view: ChartView): void {
  const { from, to, start } = view;
  const metricSeries = series;
  const shown = inUnits(view.units, metric, series);
  // Break the line where readings stop for a while, instead of drawing across the gap; a reading
  // that no line reaches (alone between two silences) is drawn as a dot.
  const maxGap = gapLimit(shown, to - from, view.bucketMs);
  const [main, lone, low, high] = chart.data.datasets;
  const bucketed = view.bucketMs !== null;
  if (main) {
    main.data = [...shown];
    main.spanGaps = maxGap;
    // Buckets: the band below is the area; readings: the line's own fill.
    main.fill = bucketed ? false : 'start';
  }
  if (lone) lone.data = lonePoints(shown, maxGap);
  // The band from min to max of each bucket (empty for readings: min = max).
  if (low) {
    low.data = bucketed ? shown.map((sample) => ({ x: sample.x, y: sample.min })) : [];
    low.spanGaps = maxGap;
  }
  if (high) {
    high.data = bucketed ? shown.map((sample) => ({ x: sample.x, y: sample.max })) : [];
    high.spanGaps = maxGap;
  }
  const x = chart.options.scales?.x;
  if (x) {
    x.min = start;
    x.max = to;
  }
  const y = chart.options.scales?.y;
  if (y && metric === 'temperature') {
    const [low, high] = nearThreshold(view.threshold, metricSeries);
    y.suggestedMin = low === undefined ? undefined : convert(view.units, 'temperature', low);
    y.suggestedMax = high === undefined ? undefined : convert(view.units, 'temperature', high);
  }
  chart.update('none');
}

/** A metric series in the units chosen (the same array when they are metric). */
function inUnits(units: UnitChoice, metric: Metric, series: Sample[]): Sample[] {
  if (isMetric(units, metric)) return series;
  const to = (value: number) => convert(units, metric, value);
  return series.map((sample) => ({ ...sample, y: to(sample.y), min: to(sample.min), max: to(sample.max) }));
}

/** Axis bounds (°C) that show the threshold line when it is close to the readings. */
function nearThreshold(threshold: number | null, series: Sample[]): [number | undefined, number | undefined] {
  if (threshold === null || series.length === 0) return [undefined, undefined];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const sample of series) {
    if (sample.min < min) min = sample.min;
    if (sample.max > max) max = sample.max;
  }
  if (threshold > max && threshold - max <= THRESHOLD_NEAR_C) return [undefined, threshold + 0.5];
  if (threshold < min && min - threshold <= THRESHOLD_NEAR_C) return [threshold - 0.5, undefined];
  return [undefined, undefined];
}

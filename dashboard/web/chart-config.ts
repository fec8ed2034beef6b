/** How each history chart looks: series, colours, axes, tooltip, and the alert threshold line. */
import type { ChartConfiguration, Plugin, ScriptableContext } from 'chart.js';
import { type Metric, type Point, tooltipLabel } from './chart-series.js';
import { digitsOf, type UnitChoice, unitOf } from './units.js';

export type { Point };

/** A chart's series; its unit and decimals follow the units chosen (`unitOf`, `digitsOf`). */
export interface SeriesSpec {
  metric: Metric;
  label: string;
  color: string;
  fill: string;
  /** A fixed y range; without it the axis fits the data. */
  range?: [number, number];
}

export const SERIES: readonly SeriesSpec[] = [
  { metric: 'temperature', label: 'Temperature', color: '#ff8a4c', fill: '255,138,76' },
  { metric: 'humidite', label: 'Humidity', color: '#38bdf8', fill: '56,189,248' },
  { metric: 'pression', label: 'Pressure', color: '#a78bfa', fill: '167,139,250' },
  {
    metric: 'batterie',
    label: 'Battery',
    color: '#34d399',
    fill: '52,211,153',
    range: [0, 100],
  },
];

const GRID = 'rgba(148,163,184,0.10)';
const TICKS = '#8b97b0';
const THRESHOLD_COLOR = '#f43f5e';
/** The alert threshold is brought into view when it is this close (°C) to the readings shown. */
export const THRESHOLD_NEAR_C = 3;
/** A device newer than the window: the axis starts this share of its readings' span before the first. */
export const LEAD_SHARE = 0.04;

/**
 * The area fill: the series colour fading downwards. Chart.js asks for it often, so the gradient is made
 * once per chart height.
 */
function areaFill(rgb: string): (context: ScriptableContext<'line'>) => CanvasGradient | string {
  let cached: { top: number; bottom: number; fill: CanvasGradient } | null = null;
  return (context) => {
    const { ctx, chartArea } = context.chart;
    if (!chartArea) return `rgba(${rgb},0.12)`;
    if (cached?.top !== chartArea.top || cached.bottom !== chartArea.bottom) {
      const fill = ctx.createLinearGradient(0, chartArea.top, 0, chartArea.bottom);
      fill.addColorStop(0, `rgba(${rgb},0.28)`);
      fill.addColorStop(1, `rgba(${rgb},0)`);
      cached = { top: chartArea.top, bottom: chartArea.bottom, fill };
    }
    return cached.fill;
  };
}

/**
 * Draws the alert threshold as a dashed line, without letting it stretch the axis: `threshold` is in the
 * chart's unit, `unit`.
 */
function thresholdLine(threshold: () => number | null, unit: () => string): Plugin<'line'> {
  return {
    id: 'thresholdLine',
    afterDatasetsDraw(chart) {
      const value = threshold();
      const y = chart.scales.y;
      if (value === null || !y || value < y.min || value > y.max) return;
      const pixel = y.getPixelForValue(value);
      const { ctx, chartArea } = chart;
      ctx.save();
      ctx.strokeStyle = THRESHOLD_COLOR;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(chartArea.left, pixel);
      ctx.lineTo(chartArea.right, pixel);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = THRESHOLD_COLOR;
      ctx.font = '600 11px system-ui, sans-serif';
      ctx.textAlign = 'right';
      ctx.textBaseline = pixel - chartArea.top < 16 ? 'top' : 'bottom';
      ctx.fillText(
        `Alert ${value.toFixed(1)} ${unit()}`,
        chartArea.right - 4,
        pixel + (ctx.textBaseline === 'top' ? 3 : -3),
      );
      ctx.restore();
    },
  };
}

function bandEdge(
  label: string,
  spec: SeriesSpec,
  fill: false | '-1',
): ChartConfiguration<'line', Point[]>['data']['datasets'][number] {
  return {
    label,
    data: [],
    // A thin edge: a spike one bucket wide is a line up to its max, not only a sliver of fill.
    borderWidth: 1.5,
    borderColor: `rgba(${spec.fill},0.9)`,
    backgroundColor: `rgba(${spec.fill},0.22)`,
    fill,
    pointRadius: 0,
    pointHoverRadius: 0,
    pointHitRadius: 0,
  };
}

/** The chart of `spec`; `threshold` is in the units chosen, which `units` says. */
export function configFor(
  spec: SeriesSpec,
  threshold: () => number | null,
  units: () => UnitChoice,
): ChartConfiguration<'line', Point[]> {
  const datasets: ChartConfiguration<'line', Point[]>['data']['datasets'] = [
    {
      label: spec.label,
      data: [],
      borderColor: spec.color,
      backgroundColor: areaFill(spec.fill),
      borderWidth: 2,
      fill: 'start',
      pointRadius: 0,
      pointHoverRadius: 4,
      pointHitRadius: 8,
      cubicInterpolationMode: 'monotone',
    },
    // The readings no line reaches (see HistoryCharts), as dots; the tooltip reads the first dataset.
    {
      label: spec.label,
      data: [],
      showLine: false,
      fill: false,
      pointRadius: 3,
      pointHoverRadius: 0,
      pointHitRadius: 0,
      pointBorderWidth: 0,
      pointBackgroundColor: spec.color,
    },
    // Time buckets: the band from each bucket's min (this line, not drawn) to its max (the next, filled
    // down to this one), so that a spike within a bucket stays visible. Empty for readings.
    bandEdge(`${spec.label} min`, spec, false),
    bandEdge(`${spec.label} max`, spec, '-1'),
  ];
  return {
    type: 'line',
    data: { datasets },
    plugins:
      spec.metric === 'temperature' ? [thresholdLine(threshold, () => unitOf(units(), 'temperature'))] : [],
    options: {
      parsing: false,
      normalized: true,
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: {
          type: 'time',
          time: {
            tooltipFormat: 'MMM d, HH:mm:ss',
            displayFormats: {
              millisecond: 'HH:mm:ss.SSS',
              second: 'HH:mm:ss',
              minute: 'HH:mm',
              hour: 'HH:mm',
              day: 'MMM d',
            },
          },
          grid: { color: GRID },
          border: { display: false },
          ticks: { color: TICKS, maxRotation: 0, autoSkipPadding: 16, font: { size: 11 } },
        },
        y: {
          ...(spec.range ? { min: spec.range[0], max: spec.range[1] } : { grace: '5%' }),
          grid: { color: GRID },
          border: { display: false },
          ticks: { color: TICKS, font: { size: 11 }, maxTicksLimit: 5 },
        },
      },
      plugins: {
        legend: { display: false },
        // min-max keeps each pixel column's lowest and highest point: a spike is never thinned away.
        decimation: { enabled: true, algorithm: 'min-max' },
        tooltip: {
          backgroundColor: '#0f1522',
          borderColor: '#2a3650',
          borderWidth: 1,
          titleColor: '#e6ebf5',
          bodyColor: '#c7d0e0',
          displayColors: false,
          filter: (item) => item.datasetIndex === 0,
          callbacks: {
            label: (item) =>
              tooltipLabel(
                {
                  label: spec.label,
                  unit: unitOf(units(), spec.metric),
                  digits: digitsOf(units(), spec.metric, 'detail'),
                },
                item.raw as Parameters<typeof tooltipLabel>[1],
              ),
          },
        },
      },
    },
  };
}

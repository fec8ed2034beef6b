import { h, setText, svg } from './dom.js';
import type { DeviceSummary } from './types.js';
import { convert, digitsOf, formatMeasure, METRIC, type UnitChoice, unitOf } from './units.js';

/** One gauge: which reading it shows and its range, in metric units (°C, hPa). */
interface GaugeSpec {
  metric: 'temperature' | 'humidite' | 'pression' | 'batterie';
  label: string;
  min: number;
  max: number;
}

export const GAUGES: readonly GaugeSpec[] = [
  { metric: 'temperature', label: 'Temperature', min: -10, max: 50 },
  { metric: 'humidite', label: 'Humidity', min: 0, max: 100 },
  { metric: 'pression', label: 'Pressure', min: 900, max: 1100 },
  { metric: 'batterie', label: 'Battery', min: 0, max: 100 },
];

// The arc sweeps 240°, from lower left (150°) clockwise over the top to lower right (390°).
const CX = 100;
const CY = 96;
const R = 78;
const START = 150;
const SWEEP = 240;

function point(angleDeg: number, radius: number): [number, number] {
  const a = (angleDeg * Math.PI) / 180;
  return [CX + radius * Math.cos(a), CY + radius * Math.sin(a)];
}

function fractionOf(spec: GaugeSpec, value: number): number {
  return Math.min(1, Math.max(0, (value - spec.min) / (spec.max - spec.min)));
}

const ARC_PATH = (() => {
  const [x0, y0] = point(START, R);
  const [x1, y1] = point(START + SWEEP, R);
  return `M ${x0.toFixed(2)} ${y0.toFixed(2)} A ${R} ${R} 0 1 1 ${x1.toFixed(2)} ${y1.toFixed(2)}`;
})();

class Gauge {
  readonly element: HTMLElement;
  private readonly valueArc: SVGPathElement;
  private readonly valueText: SVGTextElement;
  private readonly note: HTMLElement;
  private readonly tick: SVGLineElement;
  private readonly meter: SVGSVGElement;
  private readonly unit: SVGTextElement;
  private readonly minLabel: SVGTextElement;
  private readonly maxLabel: SVGTextElement;
  private units: UnitChoice = METRIC;

  constructor(
    doc: Document,
    private readonly spec: GaugeSpec,
  ) {
    const titleId = `gauge-${spec.metric}-title`;
    this.meter = svg(doc, 'svg', {
      viewBox: '0 0 200 172',
      class: 'gauge-svg',
      role: 'meter',
      'aria-labelledby': titleId,
    });
    const track = svg(doc, 'path', { d: ARC_PATH, class: 'gauge-track' });
    this.valueArc = svg(doc, 'path', {
      d: ARC_PATH,
      class: 'gauge-arc',
      pathLength: 100,
      'stroke-dasharray': '0 100',
    });
    this.tick = svg(doc, 'line', { class: 'gauge-tick', visibility: 'hidden' });
    this.valueText = svg(doc, 'text', { x: CX, y: CY + 4, class: 'gauge-value', 'text-anchor': 'middle' });
    this.unit = svg(doc, 'text', { x: CX, y: CY + 30, class: 'gauge-unit', 'text-anchor': 'middle' });
    const [minX, minY] = point(START, R);
    const [maxX, maxY] = point(START + SWEEP, R);
    this.minLabel = svg(doc, 'text', {
      x: minX,
      y: minY + 26,
      class: 'gauge-limit',
      'text-anchor': 'middle',
    });
    this.maxLabel = svg(doc, 'text', {
      x: maxX,
      y: maxY + 26,
      class: 'gauge-limit',
      'text-anchor': 'middle',
    });
    this.meter.append(
      track,
      this.valueArc,
      this.tick,
      this.valueText,
      this.unit,
      this.minLabel,
      this.maxLabel,
    );
    this.setUnits(METRIC);

    this.note = h(doc, 'p', { class: 'gauge-note' });
    this.element = h(
      doc,
      'article',
      { class: 'gauge card', 'data-metric': spec.metric },
      h(doc, 'h3', { class: 'gauge-title', id: titleId }, spec.label),
      this.meter,
      this.note,
    );
  }

  /** Shows its unit, and its range's ends, in `units` (the next `show` converts the value). */
  setUnits(units: UnitChoice): void {
    this.units = units;
    const { metric, min, max } = this.spec;
    const end = (value: number) => String(Math.round(convert(units, metric, value) * 10) / 10);
    setText(this.unit, unitOf(units, metric));
    setText(this.minLabel, end(min));
    setText(this.maxLabel, end(max));
    this.meter.setAttribute('aria-valuemin', end(min));
    this.meter.setAttribute('aria-valuemax', end(max));
  }

  /** `value` in metric units: its data-value stays metric, its text is in the units chosen. */
  show(value: number | null, note: string, state: 'normal' | 'alert' | 'low' | 'na', empty = '—'): void {
    this.element.dataset.state = state;
    if (value === null) {
      this.element.dataset.value = '';
      setText(this.valueText, empty);
      this.valueText.dataset.long = 'false';
      this.valueArc.setAttribute('visibility', 'hidden');
      this.meter.removeAttribute('aria-valuenow');
      this.meter.setAttribute('aria-valuetext', note || 'No reading');
    } else {
      const { metric } = this.spec;
      const shown = convert(this.units, metric, value);
      const text = shown.toFixed(digitsOf(this.units, metric, 'detail'));
      this.element.dataset.value = String(value);
      setText(this.valueText, text);
      this.valueText.dataset.long = String(text.length > 5);
      this.valueArc.setAttribute('visibility', 'visible');
      const percent = Math.max(0.5, fractionOf(this.spec, value) * 100);
      this.valueArc.setAttribute('stroke-dasharray', `${percent.toFixed(2)} 100`);
      this.meter.setAttribute('aria-valuenow', text);
      this.meter.setAttribute('aria-valuetext', `${text} ${unitOf(this.units, metric)}`);
    }
    setText(this.note, note);
  }

  /** A small mark on the arc, e.g. the alert threshold on the temperature gauge. */
  mark(value: number | null): void {
    if (value === null) {
      this.tick.setAttribute('visibility', 'hidden');
      return;
    }
    const angle = START + SWEEP * fractionOf(this.spec, value);
    const [x0, y0] = point(angle, R - 13);
    const [x1, y1] = point(angle, R + 13);
    this.tick.setAttribute('x1', x0.toFixed(2));
    this.tick.setAttribute('y1', y0.toFixed(2));
    this.tick.setAttribute('x2', x1.toFixed(2));
    this.tick.setAttribute('y2', y1.toFixed(2));
    this.tick.setAttribute('visibility', 'visible');
  }
}

/** The four live gauges of the selected device. */
export class GaugePanel {
  private readonly gauges = new Map<GaugeSpec['metric'], Gauge>();
  private units: UnitChoice = METRIC;

  constructor(doc: Document, container: HTMLElement) {
    for (const spec of GAUGES) {
      const gauge = new Gauge(doc, spec);
      this.gauges.set(spec.metric, gauge);
      container.append(gauge.element);
    }
  }

  /** The units chosen: the next `update` shows the values in them. */
  setUnits(units: UnitChoice): void {
    this.units = units;
    for (const gauge of this.gauges.values()) gauge.setUnits(units);
  }

  update(device: DeviceSummary): void {
    const latest = device.latest;
    const threshold = device.settings?.seuil_alerte ?? null;
    const temperature = this.gauges.get('temperature');
    const humidity = this.gauges.get('humidite');
    const pressure = this.gauges.get('pression');
    const battery = this.gauges.get('batterie');
    if (!temperature || !humidity || !pressure || !battery) return;

    temperature.mark(threshold);
    if (!latest) {
      for (const gauge of this.gauges.values()) gauge.show(null, 'No reading yet', 'na');
      return;
    }
    const thresholdNote =
      threshold === null ? '' : `Alert above ${formatMeasure(this.units, 'temperature', threshold)}`;
    temperature.show(latest.temperature, thresholdNote, device.alerte ? 'alert' : 'normal');
    if (latest.humidite === null) {
      const chip = latest.source === 'bmp280' ? 'BMP280' : latest.source.toUpperCase();
      humidity.show(null, `n/a (${chip})`, 'na', 'n/a');
    } else {
      humidity.show(latest.humidite, 'Relative humidity', 'normal');
    }
    // A device given its altitude reports sea-level pressure (the weather services' figure).
    const altitude = device.settings?.altitude ?? 0;
    pressure.show(
      latest.pression,
      altitude === 0 ? 'At the sensor' : `At sea level (from ${altitude} m)`,
      'normal',
    );
    const low = latest.batterie < 20;
    battery.show(latest.batterie, low ? 'Low battery' : 'Charge', low ? 'low' : 'normal');
  }
}

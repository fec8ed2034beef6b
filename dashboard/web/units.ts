/**
 * The units the page shows readings in. The wire, the API and the CSV stay metric (°C, hPa): only what the
 * page shows is converted, and a temperature typed in °F is converted back to °C before it is sent.
 */
export type TemperatureUnit = '°C' | '°F';
export type PressureUnit = 'hPa' | 'inHg' | 'mmHg';
export const TEMPERATURE_UNITS: readonly TemperatureUnit[] = ['°C', '°F'];
export const PRESSURE_UNITS: readonly PressureUnit[] = ['hPa', 'inHg', 'mmHg'];

export interface UnitChoice {
  temperature: TemperatureUnit;
  pressure: PressureUnit;
}

export const METRIC: UnitChoice = { temperature: '°C', pressure: 'hPa' };

/** The readings a page shows (the wire's names). */
export type Measure = 'temperature' | 'humidite' | 'pression' | 'batterie';

/** 1 hPa in inches and in millimetres of mercury (at 0 °C, standard gravity). */
const INHG_PER_HPA = 0.029529983071445;
const MMHG_PER_HPA = 0.75006168270417;

export function fahrenheitOf(celsius: number): number {
  return (celsius * 9) / 5 + 32;
}

export function celsiusOf(fahrenheit: number): number {
  return ((fahrenheit - 32) * 5) / 9;
}

/** Whether `measure` is shown as it is stored (°C, hPa, and always %RH and %). */
export function isMetric(choice: UnitChoice, measure: Measure): boolean {
  if (measure === 'temperature') return choice.temperature === '°C';
  if (measure === 'pression') return choice.pressure === 'hPa';
  return true;
}

/** A metric value (°C, %RH, hPa, %) in the chosen unit. */
export function convert(choice: UnitChoice, measure: Measure, value: number): number {
  if (measure === 'temperature') return choice.temperature === '°F' ? fahrenheitOf(value) : value;
  if (measure === 'pression') {
    if (choice.pressure === 'inHg') return value * INHG_PER_HPA;
    if (choice.pressure === 'mmHg') return value * MMHG_PER_HPA;
  }
  return value;
}

/**
 * A temperature typed in the chosen unit, in °C as the wire carries it: rounded to 0.01 °C, fine enough that
 * it reads back as what was typed (0.01 °C is 0.018 °F) without a tail of float digits on the wire.
 */
export function toCelsius(choice: UnitChoice, value: number): number {
  const celsius = choice.temperature === '°F' ? celsiusOf(value) : value;
  return Math.round(celsius * 100) / 100;
}

/** The unit a measure is shown in: '°F', 'inHg', '%RH'… */
export function unitOf(choice: UnitChoice, measure: Measure): string {
  switch (measure) {
    case 'temperature':
      return choice.temperature;
    case 'pression':
      return choice.pressure;
    case 'humidite':
      return '%RH';
    case 'batterie':
      return '%';
  }
}

/**
 * How many decimals a measure is shown with: `detail` for gauges, charts and tooltips, `compact` for the
 * fleet's rows. Inches of mercury need two more than hectopascals (1 inHg ≈ 34 hPa).
 */
export function digitsOf(choice: UnitChoice, measure: Measure, style: 'detail' | 'compact'): number {
  const compact = style === 'compact';
  switch (measure) {
    case 'temperature':
      return 1;
    case 'humidite':
      return compact ? 0 : 1;
    case 'pression':
      if (choice.pressure === 'inHg') return 2;
      return compact ? 0 : 1;
    case 'batterie':
      return 0;
  }
}

/** "70.5 °F", "29.92 inHg", "48 %RH" (`style` as in `digitsOf`). */
export function formatMeasure(
  choice: UnitChoice,
  measure: Measure,
  value: number,
  style: 'detail' | 'compact' = 'detail',
): string {
  return `${convert(choice, measure, value).toFixed(digitsOf(choice, measure, style))} ${unitOf(choice, measure)}`;
}

/** A choice read back from storage (anything else, or a part missing, is metric). */
export function parseChoice(text: string | null): UnitChoice {
  if (!text) return METRIC;
  try {
    const value = JSON.parse(text) as Partial<Record<keyof UnitChoice, unknown>>;
    return {
      temperature: TEMPERATURE_UNITS.find((unit) => unit === value?.temperature) ?? METRIC.temperature,
      pressure: PRESSURE_UNITS.find((unit) => unit === value?.pressure) ?? METRIC.pressure,
    };
  } catch {
    return METRIC;
  }
}

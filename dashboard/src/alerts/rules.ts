import { describeValue } from '@fleet/shared';
import { z } from 'zod';
import { ValidationError } from '../errors.js';

/** The alert rules, by name: the same name in the database, the API, the notifications and /metrics. */
export const RULE_NAMES = [
  'high_temperature',
  'frost',
  'humidity',
  'offline',
  'battery',
  'readings_lost',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export interface AlertRules {
  /** Temperature above `above`, or the device's own `seuil_alerte` while `above` is null. */
  high_temperature: { enabled: boolean; above: number | null; hysteresis: number };
  /** Temperature below `below` (°C). */
  frost: { enabled: boolean; below: number; hysteresis: number };
  /** Humidity (%) outside [min, max]; a device without a humidity sensor (BMP280) never raises it. */
  humidity: { enabled: boolean; min: number; max: number; hysteresis: number };
  /** No presence (availability or status) for longer than `minutes`. */
  offline: { enabled: boolean; minutes: number };
  /** Battery (%) below `below`. */
  battery: { enabled: boolean; below: number; hysteresis: number };
  /** At least `count` readings lost (seq gaps) within `minutes`; resolved after `minutes` without a new loss. */
  readings_lost: { enabled: boolean; count: number; minutes: number };
}

/** A device's override: only the fields it changes. */
export type RuleOverride = { [R in RuleName]?: Partial<AlertRules[R]> };

/**
 * The fleet-wide defaults. Frost is on at 2 °C: plants take damage from 0 °C, and 2 °C leaves room for the
 * sensor's ±1 °C and time to act, while an indoor device never gets there. Humidity is off: the right range
 * depends on what grows or is stored. Offline after 10 minutes is several missed readings at the default
 * interval; battery under 15 %; 10 readings lost within an hour is more than a reconnection loses.
 */
export const DEFAULT_RULES: AlertRules = {
  high_temperature: { enabled: true, above: null, hysteresis: 0.5 },
  frost: { enabled: true, below: 2, hysteresis: 0.5 },
  humidity: { enabled: false, min: 30, max: 80, hysteresis: 2 },
  offline: { enabled: true, minutes: 10 },
  battery: { enabled: true, below: 15, hysteresis: 5 },
  readings_lost: { enabled: true, count: 10, minutes: 60 },
};

interface NumberField {
  kind: 'number';
  min: number;
  max: number;
  nullable?: string;
  whole?: boolean;
}
type FieldSpec = NumberField | { kind: 'boolean' };

const enabled: FieldSpec = { kind: 'boolean' };
const band = (max: number): FieldSpec => ({ kind: 'number', min: 0, max });

/** What each rule's fields accept. */
const FIELDS: { [R in RuleName]: { [F in keyof AlertRules[R]]: FieldSpec } } = {
  high_temperature: {
    enabled,
    above: { kind: 'number', min: -40, max: 85, nullable: "null for the device's own seuil_alerte" },
    hysteresis: band(10),
  },
  frost: { enabled, below: { kind: 'number', min: -40, max: 85 }, hysteresis: band(10) },
  humidity: {
    enabled,
    min: { kind: 'number', min: 0, max: 100 },
    max: { kind: 'number', min: 0, max: 100 },
    hysteresis: band(20),
  },
  offline: { enabled, minutes: { kind: 'number', min: 1, max: 10_080, whole: true } },
  battery: { enabled, below: { kind: 'number', min: 1, max: 100 }, hysteresis: band(50) },
  readings_lost: {
    enabled,
    count: { kind: 'number', min: 1, max: 1_000_000, whole: true },
    minutes: { kind: 'number', min: 1, max: 10_080, whole: true },
  },
};

function accepted(spec: FieldSpec): string {
  if (spec.kind === 'boolean') return 'true or false';
  const what = spec.whole ? 'a whole number' : 'a number';
  return `${what} from ${spec.min} to ${spec.max}${spec.nullable ? `, or ${spec.nullable}` : ''}`;
}

function fieldOk(spec: FieldSpec, value: unknown): boolean {
  if (spec.kind === 'boolean') return typeof value === 'boolean';
  if (value === null) return spec.nullable !== undefined;
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= spec.min &&
    value <= spec.max &&
    (!spec.whole || Number.isInteger(value))
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a body of rules, each rule with only the fields it changes (`{"frost": {"below": 3}}`). The first
 * problem throws a ValidationError naming the field, the value received and what is accepted.
 */
export function parseRuleOverride(body: unknown, what = 'The request body'): RuleOverride {
  if (!isObject(body)) {
    throw new ValidationError(
      `${what} received ${describeValue(body)}; accepted: a JSON object of rules (${RULE_NAMES.join(', ')}).`,
    );
  }
  const result: Record<string, Record<string, unknown>> = {};
  for (const [rule, fields] of Object.entries(body)) {
    if (!(RULE_NAMES as readonly string[]).includes(rule)) {
      throw new ValidationError(
        `Field ${JSON.stringify(rule)} is not a rule; accepted: ${RULE_NAMES.join(', ')}.`,
      );
    }
    const specs = FIELDS[rule as RuleName] as Record<string, FieldSpec>;
    if (!isObject(fields)) {
      throw new ValidationError(
        `Field "${rule}" received ${describeValue(fields)}; accepted: a JSON object with ${Object.keys(specs).join(', ')}.`,
      );
    }
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields)) {
      const spec = specs[name];
      if (!spec) {
        throw new ValidationError(
          `Field "${rule}.${name}" is not accepted; accepted: ${Object.keys(specs).join(', ')}.`,
        );
      }
      if (!fieldOk(spec, value)) {
        throw new ValidationError(
          `Field "${rule}.${name}" received ${describeValue(value)}; accepted: ${accepted(spec)}.`,
        );
      }
      out[name] = value;
    }
    result[rule] = out;
  }
  return result as RuleOverride;
}

/** `base` with `override`'s fields on top, checked as a whole (a humidity range whose min is above its max). */
export function mergeRules(base: AlertRules, override: RuleOverride | undefined): AlertRules {
  const merged = { ...base } as Record<RuleName, unknown>;
  for (const rule of RULE_NAMES) {
    const fields = override?.[rule];
    if (fields) merged[rule] = { ...base[rule], ...fields };
  }
  return merged as unknown as AlertRules;
}

/** Throws a ValidationError when the rules contradict themselves. */
export function checkRules(rules: AlertRules, scope: string): void {
  const { min, max } = rules.humidity;
  if (min >= max) {
    throw new ValidationError(
      `Field "humidity.min" received ${min} with "humidity.max" ${max} (${scope}); accepted: a min below the max.`,
    );
  }
}

function zodField(spec: FieldSpec): z.ZodType {
  if (spec.kind === 'boolean') return z.boolean();
  let number = z.number().min(spec.min).max(spec.max);
  if (spec.whole) number = number.int();
  return spec.nullable ? number.nullable() : number;
}

/**
 * The body of the rules routes as a zod schema (Fastify validates it, the API document shows it): each rule
 * optional, with only the fields it changes.
 */
export function ruleOverrideSchema(): z.ZodType<RuleOverride> {
  const shape: Record<string, z.ZodType> = {};
  for (const rule of RULE_NAMES) {
    const specs = FIELDS[rule] as Record<string, FieldSpec>;
    const fields: Record<string, z.ZodType> = {};
    for (const [name, spec] of Object.entries(specs))
      fields[name] = zodField(spec)
        .optional()
        .meta({ description: accepted(spec) });
    shape[rule] = z
      .strictObject(fields)
      .optional()
      .meta({ description: `an object with any of ${Object.keys(specs).join(', ')}` });
  }
  return z.strictObject(shape).meta({
    description: `a JSON object of rules (${RULE_NAMES.join(', ')}), each with the fields it changes`,
  }) as unknown as z.ZodType<RuleOverride>;
}

import type { DeviceSummary } from '../api-types.js';
import type { AlertRules, RuleName } from './rules.js';

/** What the engine remembers of one device between evaluations (memory only; rebuilt at start). */
export interface DeviceWatch {
  /** Epoch ms since when the device is offline; null while online. */
  offlineSince: number | null;
  /** The device's lost count at the last evaluation, and where the current window started. */
  lost: number;
  lostWindowStart: number;
  lostAtWindowStart: number;
  /** Epoch ms of the last rise of the lost count. */
  lostRoseAt: number | null;
  /** trusted_at (epoch ms) of the newest reading looked at; null before any. */
  readingAt: number | null;
}

/** trusted_at of a summary's latest reading, in epoch ms; null without one. */
export function latestAt(summary: DeviceSummary | null): number | null {
  return summary?.latest ? Date.parse(summary.latest.trusted_at) : null;
}

export function newWatch(summary: DeviceSummary | null, now: number): DeviceWatch {
  const lost = summary?.delivery.lost ?? 0;
  const lastSeen = summary?.last_seen ? Date.parse(summary.last_seen) : now;
  return {
    offlineSince: summary && !summary.online ? Math.min(lastSeen, now) : null,
    lost,
    lostWindowStart: now,
    lostAtWindowStart: lost,
    lostRoseAt: null,
    readingAt: latestAt(summary),
  };
}

/** A rule's verdict: raise (with the value and the limit crossed), clear (with the value now), or keep. */
export type Verdict =
  | { kind: 'raise'; value: number | null; threshold: number | null }
  | { kind: 'clear'; value: number | null }
  | { kind: 'keep' };

const KEEP: Verdict = { kind: 'keep' };
const raise = (value: number | null, threshold: number | null): Verdict => ({
  kind: 'raise',
  value,
  threshold,
});
const clear = (value: number | null): Verdict => ({ kind: 'clear', value });

/**
 * Updates the presence and loss bookkeeping of `watch` from a device's summary (a committed change) or from
 * the clock alone (`summary` null: the timer).
 */
export function observe(
  watch: DeviceWatch,
  summary: DeviceSummary | null,
  rules: AlertRules,
  now: number,
): void {
  if (summary) {
    if (summary.online) watch.offlineSince = null;
    else watch.offlineSince ??= now;
    const lost = summary.delivery.lost;
    if (lost > watch.lost) watch.lostRoseAt = now;
    watch.lost = lost;
    const at = latestAt(summary);
    if (at !== null && (watch.readingAt === null || at > watch.readingAt)) watch.readingAt = at;
  }
  if (now - watch.lostWindowStart >= rules.readings_lost.minutes * 60_000) {
    watch.lostWindowStart = now;
    watch.lostAtWindowStart = watch.lost;
  }
}

/**
 * Each rule's verdict for a device. A rule raises when its value crosses the limit, and clears only once
 * the value is back past the limit by the rule's hysteresis (a value hovering at the limit stays raised);
 * a rule turned off clears. `summary` null: only the rules of time (offline, readings lost) are looked at.
 */
export function verdicts(
  rules: AlertRules,
  summary: DeviceSummary | null,
  watch: DeviceWatch,
  isOpen: (rule: RuleName) => boolean,
  now: number,
): Partial<Record<RuleName, Verdict>> {
  const out: Partial<Record<RuleName, Verdict>> = {};
  const reading = summary?.latest ?? null;
  if (summary) {
    const high = rules.high_temperature;
    if (!high.enabled) out.high_temperature = clear(null);
    else if (reading) {
      const limit = high.above ?? summary.settings?.seuil_alerte ?? null;
      const t = reading.temperature;
      if (limit === null) out.high_temperature = reading.alerte ? raise(t, null) : clear(t);
      else if (t > limit) out.high_temperature = raise(t, limit);
      else if (t <= limit - high.hysteresis) out.high_temperature = clear(t);
    }
    const frost = rules.frost;
    if (!frost.enabled) out.frost = clear(null);
    else if (reading) {
      const t = reading.temperature;
      if (t < frost.below) out.frost = raise(t, frost.below);
      else if (t >= frost.below + frost.hysteresis) out.frost = clear(t);
    }
    const humidity = rules.humidity;
    if (!humidity.enabled) out.humidity = clear(null);
    else if (reading && reading.humidite !== null) {
      const h = reading.humidite;
      if (h < humidity.min) out.humidity = raise(h, humidity.min);
      else if (h > humidity.max) out.humidity = raise(h, humidity.max);
      else if (h >= humidity.min + humidity.hysteresis && h <= humidity.max - humidity.hysteresis)
        out.humidity = clear(h);
    }
    const battery = rules.battery;
    if (!battery.enabled) out.battery = clear(null);
    else if (reading) {
      const b = reading.batterie;
      if (b < battery.below) out.battery = raise(b, battery.below);
      else if (b >= battery.below + battery.hysteresis) out.battery = clear(b);
    }
  }
  const offline = rules.offline;
  if (!offline.enabled || watch.offlineSince === null) out.offline = clear(null);
  else {
    const minutes = Math.floor((now - watch.offlineSince) / 60_000);
    if (minutes >= offline.minutes) out.offline = raise(minutes, offline.minutes);
  }
  const lost = rules.readings_lost;
  if (!lost.enabled) out.readings_lost = clear(null);
  else if (isOpen('readings_lost')) {
    const quietSince = watch.lostRoseAt ?? watch.lostWindowStart;
    if (now - quietSince >= lost.minutes * 60_000)
      out.readings_lost = clear(watch.lost - watch.lostAtWindowStart);
  } else {
    const rise = watch.lost - watch.lostAtWindowStart;
    if (rise >= lost.count) out.readings_lost = raise(rise, lost.count);
  }
  for (const [rule, verdict] of Object.entries(out) as Array<[RuleName, Verdict]>) {
    // Only changes matter: raising what is open, or clearing what is not, keeps.
    if ((verdict.kind === 'raise') === isOpen(rule)) out[rule] = KEEP;
  }
  return out;
}

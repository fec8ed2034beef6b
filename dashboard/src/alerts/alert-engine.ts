import type { Clock, Logger } from '@fleet/shared';
import type { DeviceSummary } from '../api-types.js';
import type { DashboardEvents } from '../events.js';
import type { Fleet } from '../fleet/fleet.js';
import type { AlertSettings } from './alert-settings.js';
import type { AlertStore } from './alert-store.js';
import { type DeviceWatch, newWatch, observe, type Verdict, verdicts } from './evaluate.js';
import type { Incident } from './formats.js';
import { RULE_NAMES, type RuleName } from './rules.js';

export interface AlertEngineDeps {
  store: Pick<AlertStore, 'open' | 'resolve' | 'openIncidents'>;
  settings: Pick<AlertSettings, 'rulesFor' | 'channelKinds'>;
  events: DashboardEvents;
  fleet: Pick<Fleet, 'summaries' | 'summary'>;
  clock: Clock;
  logger: Logger;
  /** Called after an incident opened or was resolved with notifications queued (the notifier sends them). */
  notify: () => void;
  /** How often the rules of time (offline, readings lost) are looked at (default 15 s). */
  tickMs?: number;
}

/**
 * Opens and resolves incidents. It listens to the fleet's `device` events, which follow each committed
 * group of messages (one per changed device, whatever the number of readings), and keeps each device's state
 * in memory: a reading costs a few comparisons, and the database is written only when an incident opens or
 * is resolved (the incident and its notifications in one transaction). A timer owned by start()/stop()
 * looks at the rules of time. When that write fails the state in memory is left as it was, so the next
 * evaluation tries again.
 */
export class AlertEngine {
  private readonly open = new Map<string, Map<RuleName, Incident>>();
  private readonly watches = new Map<string, DeviceWatch>();
  private unsubscribers: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private failing = false;

  constructor(private readonly deps: AlertEngineDeps) {}

  start(): void {
    if (this.timer) return;
    this.open.clear();
    for (const incident of this.deps.store.openIncidents())
      this.openOf(incident.device_id).set(incident.rule, incident);
    const now = this.now();
    for (const summary of this.deps.fleet.summaries())
      this.watches.set(summary.device_id, newWatch(summary, now));
    const { events } = this.deps;
    this.unsubscribers = [
      events.on('device', (summary) => this.guard(() => this.evaluate(summary.device_id, summary))),
      events.on('forgotten', ({ device_id }) => this.guard(() => this.forget(device_id))),
    ];
    this.timer = setInterval(() => this.guard(() => this.tick()), this.deps.tickMs ?? 15_000);
    this.reevaluateAll();
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Open incidents by rule, now. */
  openCounts(): Record<RuleName, number> {
    const counts = Object.fromEntries(RULE_NAMES.map((rule) => [rule, 0])) as Record<RuleName, number>;
    for (const rules of this.open.values()) for (const rule of rules.keys()) counts[rule] += 1;
    return counts;
  }

  /** Every device against the rules in force (after the rules changed, and at start). */
  reevaluateAll(): void {
    for (const summary of this.deps.fleet.summaries())
      this.guard(() => this.evaluate(summary.device_id, summary));
  }

  /** The rules of time, for every device (the timer). */
  tick(): void {
    for (const deviceId of this.watches.keys()) this.evaluate(deviceId, null);
  }

  private evaluate(deviceId: string, summary: DeviceSummary | null): void {
    const now = this.now();
    let watch = this.watches.get(deviceId);
    if (!watch) {
      watch = newWatch(summary, now);
      this.watches.set(deviceId, watch);
    }
    const rules = this.deps.settings.rulesFor(deviceId);
    observe(watch, summary, rules, now);
    const open = this.open.get(deviceId);
    const found = verdicts(rules, summary, watch, (rule) => open?.has(rule) ?? false, now);
    for (const [rule, verdict] of Object.entries(found) as Array<[RuleName, Verdict]>) {
      if (verdict.kind === 'raise') this.raise(deviceId, rule, verdict.value, verdict.threshold, now);
      else if (verdict.kind === 'clear') this.clear(deviceId, rule, verdict.value, now, watch);
    }
  }

  private raise(
    deviceId: string,
    rule: RuleName,
    value: number | null,
    threshold: number | null,
    at: number,
  ): void {
    const channels = this.deps.settings.channelKinds();
    const incident = this.deps.store.open({ deviceId, rule, at, value, threshold }, channels);
    this.openOf(deviceId).set(rule, incident);
    this.deps.logger.info(
      { device_id: deviceId, rule, value, threshold, incident: incident.id, channels },
      `Alert opened: ${rule} on ${deviceId}`,
    );
    if (channels.length > 0) this.deps.notify();
  }

  private clear(
    deviceId: string,
    rule: RuleName,
    value: number | null,
    at: number,
    watch?: DeviceWatch,
  ): void {
    const incident = this.open.get(deviceId)?.get(rule);
    if (!incident) return;
    const channels = this.deps.settings.channelKinds();
    this.deps.store.resolve(incident.id, at, value, channels);
    this.open.get(deviceId)?.delete(rule);
    if (rule === 'readings_lost' && watch) {
      watch.lostWindowStart = at;
      watch.lostAtWindowStart = watch.lost;
    }
    this.deps.logger.info(
      { device_id: deviceId, rule, value, incident: incident.id, channels },
      `Alert resolved: ${rule} on ${deviceId}`,
    );
    if (channels.length > 0) this.deps.notify();
  }

  /** A forgotten device: its open incidents are resolved, its state dropped. */
  private forget(deviceId: string): void {
    const now = this.now();
    for (const rule of [...(this.open.get(deviceId)?.keys() ?? [])]) this.clear(deviceId, rule, null, now);
    this.open.delete(deviceId);
    this.watches.delete(deviceId);
  }

  private openOf(deviceId: string): Map<RuleName, Incident> {
    let rules = this.open.get(deviceId);
    if (!rules) {
      rules = new Map();
      this.open.set(deviceId, rules);
    }
    return rules;
  }

  /** An evaluation that fails (the database refuses the write) is logged once until one succeeds again. */
  private guard(work: () => void): void {
    try {
      work();
      if (this.failing) {
        this.failing = false;
        this.deps.logger.info('Alerts can be written again');
      }
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.deps.logger.error(
          { err: error },
          'An alert could not be written to the database; the next reading or tick tries again',
        );
      }
    }
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }
}

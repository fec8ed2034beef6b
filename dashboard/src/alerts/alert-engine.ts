import type { Clock, Logger } from '@fleet/shared';
import type { DeviceSummary, StoredReading } from '../api-types.js';
import type { DashboardEvents } from '../events.js';
import type { Fleet } from '../fleet/fleet.js';
import type { AlertSettings } from './alert-settings.js';
import { type AlertStorage, andThen, type MaybePromise } from './alert-storage.js';
import { type DeviceWatch, latestAt, newWatch, observe, type Verdict, verdicts } from './evaluate.js';
import type { Incident } from './formats.js';
import { RULE_NAMES, type RuleName } from './rules.js';
import { SerialWork, type Work } from './serial-work.js';

export interface AlertEngineDeps {
  store: Pick<AlertStorage, 'open' | 'resolve' | 'openIncidents'>;
  settings: Pick<AlertSettings, 'rulesFor' | 'channelKinds'>;
  events: DashboardEvents;
  fleet: Pick<Fleet, 'summaries' | 'summary'>;
  clock: Clock;
  logger: Logger;
  /** Called after an incident opened or was resolved with notifications queued (the notifier sends them). */
  notify: () => void;
  /** How often the rules of time (offline, readings lost) are looked at (default 15 s). */
  tickMs?: number;
  /** Before each tick (the leader among replicas reads the rules again: another replica may have changed them). */
  beforeTick?: () => Promise<unknown>;
}

/**
 * Opens and resolves incidents. It listens to the fleet's `device` events, which follow each committed
 * group of messages (one per changed device, whatever the number of readings), and to its `telemetry` events
 * (one per reading, before them): a reading between the last one looked at and the device's latest is looked
 * at as if it were the latest, so that a value past a limit between two others in one group still raises
 * (and the incident has the first value past it). It keeps each device's state in memory: a reading costs a
 * few comparisons, and the database is written only when an incident opens or is resolved (the incident and
 * its notifications in one transaction). A timer owned by start()/stop() looks at the rules of time. When that write fails the state in memory is left as it was, so the next
 * evaluation tries again. Evaluations run one at a time in the order of the events: with SQLite each is done
 * before the event's emit returns; with PostgreSQL the ones that come while a write is under way wait
 * (see SerialWork: beyond 20 000, only each device's latest summary is kept). Runs only on the replica that leads.
 */
export class AlertEngine {
  private readonly open = new Map<string, Map<RuleName, Incident>>();
  private readonly watches = new Map<string, DeviceWatch>();
  private unsubscribers: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  private running = false;
  /** Bumped by stop(): work queued before it is dropped. */
  private generation = 0;
  private readonly work: SerialWork;

  constructor(private readonly deps: AlertEngineDeps) {
    this.work = new SerialWork({
      done: (error) => (error === null ? this.succeeded() : this.failed(error)),
      compacted: (before, after) =>
        deps.logger.warn(
          { before, after },
          `Alert evaluations waited behind slow database writes: ${before - after} older ones of devices with a newer one were dropped`,
        ),
    });
  }

  /** Reads the open incidents back and looks at every device of the fleet as it is now. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const generation = this.generation;
    let incidents: Awaited<ReturnType<AlertEngineDeps['store']['openIncidents']>>;
    try {
      incidents = await this.deps.store.openIncidents();
    } catch (error) {
      this.running = false;
      throw error;
    }
    if (generation !== this.generation) return;
    this.open.clear();
    this.watches.clear();
    for (const incident of incidents) this.openOf(incident.device_id).set(incident.rule, incident);
    const now = this.now();
    for (const summary of this.deps.fleet.summaries())
      this.watches.set(summary.device_id, newWatch(summary, now));
    const { events } = this.deps;
    this.unsubscribers = [
      events.on('telemetry', (reading) =>
        this.enqueue(reading.device_id, () => this.evaluateReading(reading)),
      ),
      events.on('device', (summary) =>
        this.enqueue(summary.device_id, () => this.evaluate(summary.device_id, summary)),
      ),
      events.on('forgotten', ({ device_id }) => this.enqueue(null, () => this.forget(device_id))),
    ];
    this.timer = setInterval(() => void this.timed(), this.deps.tickMs ?? 15_000);
    this.reevaluateAll();
  }

  /** Stops at once: no evaluation starts after this (one under way may finish its write). */
  stop(): void {
    this.running = false;
    this.generation += 1;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.work.clear();
    this.open.clear();
    this.watches.clear();
  }

  get started(): boolean {
    return this.running;
  }

  /** Resolves once no evaluation waits or runs. */
  idle(): Promise<void> {
    return this.work.idle();
  }

  /** Open incidents by rule, now. */
  openCounts(): Record<RuleName, number> {
    const counts = Object.fromEntries(RULE_NAMES.map((rule) => [rule, 0])) as Record<RuleName, number>;
    for (const rules of this.open.values()) for (const rule of rules.keys()) counts[rule] += 1;
    return counts;
  }

  /** Every device against the rules in force (after the rules changed, and at start); nothing when not started. */
  reevaluateAll(): void {
    if (!this.running) return;
    for (const summary of this.deps.fleet.summaries())
      this.enqueue(summary.device_id, () => this.evaluate(summary.device_id, summary));
  }

  /** The rules of time, for every device (the timer); nothing when not started. */
  tick(): void {
    if (!this.running) return;
    for (const deviceId of [...this.watches.keys()]) this.enqueue(null, () => this.evaluate(deviceId, null));
  }

  private async timed(): Promise<void> {
    const generation = this.generation;
    try {
      await this.deps.beforeTick?.();
    } catch (error) {
      this.failed(error);
    }
    if (generation === this.generation) this.tick();
  }

  /** Runs `work` now when nothing waits (at once on SQLite), else after what waits. */
  private enqueue(deviceId: string | null, work: Work): void {
    if (this.running) this.work.run(deviceId, work);
  }

  /**
   * One reading of a committed group (or of the live push among replicas): the device as it is now, with this
   * reading as its latest. A reading not newer than the newest looked at (a redelivery, a late one from the
   * device's outbox) changes nothing: incidents follow the device's values in time. The device's latest
   * itself is left to the `device` event that follows its readings, so that it is not looked at twice.
   */
  private evaluateReading(reading: StoredReading): MaybePromise<void> {
    const summary = this.deps.fleet.summary(reading.device_id);
    const latest = latestAt(summary);
    const at = Date.parse(reading.trusted_at);
    const seen = this.watches.get(reading.device_id)?.readingAt ?? null;
    if (!summary || latest === null || !(at < latest) || (seen !== null && at <= seen)) return;
    return this.evaluate(reading.device_id, { ...summary, latest: reading });
  }

  private evaluate(deviceId: string, summary: DeviceSummary | null): MaybePromise<void> {
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
    const steps: Work[] = [];
    for (const [rule, verdict] of Object.entries(found) as Array<[RuleName, Verdict]>) {
      if (verdict.kind === 'raise')
        steps.push(() => this.raise(deviceId, rule, verdict.value, verdict.threshold, now));
      else if (verdict.kind === 'clear')
        steps.push(() => this.clear(deviceId, rule, verdict.value, now, watch));
    }
    return sequence(steps);
  }

  private raise(
    deviceId: string,
    rule: RuleName,
    value: number | null,
    threshold: number | null,
    at: number,
  ): MaybePromise<void> {
    const channels = this.deps.settings.channelKinds();
    const generation = this.generation;
    return andThen(this.deps.store.open({ deviceId, rule, at, value, threshold }, channels), (opened) => {
      if (generation !== this.generation) return;
      const incident = opened.incident;
      this.openOf(deviceId).set(rule, incident);
      if (!opened.created) {
        // Open already (another replica led when it opened): taken as it is, nothing queued.
        this.deps.logger.info(
          { device_id: deviceId, rule, incident: incident.id },
          `Alert ${rule} on ${deviceId} was open already (incident ${incident.id})`,
        );
        return;
      }
      this.deps.logger.info(
        { device_id: deviceId, rule, value, threshold, incident: incident.id, channels },
        `Alert opened: ${rule} on ${deviceId}`,
      );
      if (channels.length > 0) this.deps.notify();
    });
  }

  private clear(
    deviceId: string,
    rule: RuleName,
    value: number | null,
    at: number,
    watch?: DeviceWatch,
  ): MaybePromise<void> {
    const incident = this.open.get(deviceId)?.get(rule);
    if (!incident) return;
    const channels = this.deps.settings.channelKinds();
    const generation = this.generation;
    return andThen(this.deps.store.resolve(incident.id, at, value, channels), (resolved) => {
      if (generation !== this.generation) return;
      this.open.get(deviceId)?.delete(rule);
      if (rule === 'readings_lost' && watch) {
        watch.lostWindowStart = at;
        watch.lostAtWindowStart = watch.lost;
      }
      if (!resolved) return; // resolved already (by another replica while it led)
      this.deps.logger.info(
        { device_id: deviceId, rule, value, incident: incident.id, channels },
        `Alert resolved: ${rule} on ${deviceId}`,
      );
      if (channels.length > 0) this.deps.notify();
    });
  }

  /** A forgotten device: its open incidents are resolved, its state dropped. */
  private forget(deviceId: string): MaybePromise<void> {
    const now = this.now();
    const rules = [...(this.open.get(deviceId)?.keys() ?? [])];
    return andThen(sequence(rules.map((rule) => () => this.clear(deviceId, rule, null, now))), () => {
      this.open.delete(deviceId);
      this.watches.delete(deviceId);
    });
  }

  private openOf(deviceId: string): Map<RuleName, Incident> {
    let rules = this.open.get(deviceId);
    if (!rules) {
      rules = new Map();
      this.open.set(deviceId, rules);
    }
    return rules;
  }

  private succeeded(): void {
    if (this.failing) {
      this.failing = false;
      this.deps.logger.info('Alerts can be written again');
    }
  }

  /** An evaluation that fails (the database refuses the write) is logged once until one succeeds again. */
  private failed(error: unknown): void {
    if (!this.failing) {
      this.failing = true;
      this.deps.logger.error(
        { err: error },
        'An alert could not be written to the database; the next reading or tick tries again',
      );
    }
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }
}

/** Runs each step after the previous one: at once while each answers at once. */
function sequence(steps: readonly Work[], from = 0): MaybePromise<void> {
  for (let index = from; index < steps.length; index += 1) {
    const result = steps[index]?.();
    if (result instanceof Promise) return result.then(() => sequence(steps, index + 1));
  }
}

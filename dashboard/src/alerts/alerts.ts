import type { Clock, Logger } from '@fleet/shared';
import { Counter, Gauge, type Registry } from 'prom-client';
import { counted } from '../counted.js';
import type { DashboardEvents } from '../events.js';
import type { Fleet } from '../fleet/fleet.js';
import { AlertEngine } from './alert-engine.js';
import { AlertSettings } from './alert-settings.js';
import type { AlertStorage } from './alert-storage.js';
import { CHANNEL_KINDS } from './channels.js';
import { fetchClient, type HttpClient } from './http-client.js';
import { type Leadership, SoleLeadership } from './leadership.js';
import { Notifier } from './notifier.js';
import { RULE_NAMES } from './rules.js';

export interface AlertsOptions {
  /** How notifications are sent (default: Node's fetch with a 10 s timeout). */
  http?: HttpClient;
  /** Telegram's Bot API base URL (default https://api.telegram.org). */
  telegramApi?: string;
  /** First retry delay of a failed notification (default 10 s). */
  retryInitialMs?: number;
  /** How often the rules of time are looked at (default 15 s). */
  tickMs?: number;
  /** Resolved incidents are kept this many days (HISTORY_DAYS; default 30), then removed hourly. */
  keepDays?: number;
}

const PRUNE_EVERY_MS = 3_600_000;

export interface AlertsDeps extends AlertsOptions {
  /** Rules, channels, incidents and the queue: AlertStore (SQLite) or PgAlertStore (DATABASE_URL). */
  store: AlertStorage;
  /** Which replica evaluates and sends (default: this process, always). */
  leadership?: Leadership;
  events: DashboardEvents;
  fleet: Pick<Fleet, 'summaries' | 'summary'>;
  clock: Clock;
  logger: Logger;
}

/**
 * Alert rules, incidents and notifications, wired together; start()/stop() own the timers and sends. Every
 * replica serves the rules and incidents from the store; only the one that leads (Leadership) evaluates the
 * rules, sends the notifications and removes old incidents.
 */
export class Alerts {
  readonly store: AlertStorage;
  readonly settings: AlertSettings;
  readonly engine: AlertEngine;
  readonly notifier: Notifier;
  readonly leadership: Leadership;
  private readonly logger: Logger;
  private pruneTimer: NodeJS.Timeout | null = null;
  /** lead() and follow() one after the other. */
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly deps: AlertsDeps) {
    this.logger = deps.logger.child({ component: 'alerts' });
    this.store = deps.store;
    this.leadership = deps.leadership ?? new SoleLeadership();
    this.settings = new AlertSettings(this.store, () => this.changedElsewhere());
    this.notifier = new Notifier({
      store: this.store,
      settings: this.settings,
      http: deps.http ?? fetchClient(),
      clock: deps.clock,
      logger: this.logger,
      ...(deps.telegramApi ? { telegramApi: deps.telegramApi } : {}),
      ...(deps.retryInitialMs ? { retryInitialMs: deps.retryInitialMs } : {}),
    });
    this.engine = new AlertEngine({
      store: this.store,
      settings: this.settings,
      events: deps.events,
      fleet: deps.fleet,
      clock: deps.clock,
      logger: this.logger,
      notify: () => this.notifier.wake(),
      // The leader reads the rules again before each tick: a change made through another replica applies.
      beforeTick: () => this.settings.load(),
      ...(deps.tickMs ? { tickMs: deps.tickMs } : {}),
    });
  }

  /** Rules or channels written by another replica, found by a read: logged, and applied if this one leads. */
  private changedElsewhere(): void {
    const channels = this.settings.channelKinds();
    this.logger.info(
      { channels },
      `Alert rules or channels changed through another replica: read again; channels ${channels.join(', ') || 'none'}`,
    );
    this.engine.reevaluateAll();
  }

  /** Reads the rules, then leads at once (one process) or when this replica takes the lead (replicas). */
  async start(): Promise<void> {
    await this.settings.load();
    await this.leadership.start({
      lead: () => this.queue(() => this.lead()),
      follow: () => this.queue(() => this.follow()),
    });
  }

  async stop(): Promise<void> {
    await this.leadership.stop();
    await this.queue(() => this.follow());
  }

  private queue(work: () => Promise<void>): Promise<void> {
    this.turn = this.turn.then(work, work);
    return this.turn;
  }

  /** This process leads: the rules read again, then evaluation, sending and the hourly removal start. */
  private async lead(): Promise<void> {
    try {
      await this.settings.load();
      await this.engine.start();
      const pending = await this.notifier.start();
      await this.prune();
      this.pruneTimer ??= setInterval(() => void this.prune(), PRUNE_EVERY_MS);
      const rules = this.settings.view().defaults;
      const on = RULE_NAMES.filter((rule) => rules[rule].enabled);
      const channels = this.settings.channelKinds();
      const open = (await this.store.list({ state: 'open', limit: 0, offset: 0 })).open;
      this.logger.info(
        { rules_on: on, channels, pending_notifications: pending, open_incidents: open },
        `Alerts: rules on ${on.join(', ') || 'none'}; channels ${channels.join(', ') || 'none (incidents are listed on the page only)'}; ${pending} notification${pending === 1 ? '' : 's'} waiting`,
      );
    } catch (error) {
      // The database did not answer: nothing runs; among replicas the lock is given back (PgLeadership).
      await this.follow();
      throw error;
    }
  }

  /** This process no longer leads (or stops): evaluation, sending and the removal stop. */
  private async follow(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    this.engine.stop();
    await this.notifier.stop();
  }

  /** Removes the incidents resolved more than keepDays ago (and their finished notifications). */
  async prune(): Promise<void> {
    const days = this.deps.keepDays ?? 30;
    try {
      const removed = await this.store.prune(this.deps.clock.now().getTime() - days * 86_400_000);
      if (removed > 0)
        this.logger.info(
          { removed, days },
          `Removed ${counted(removed, 'alert incident')} resolved more than ${counted(days, 'day')} ago`,
        );
    } catch (error) {
      this.logger.error(
        { err: error },
        'Old alert incidents could not be removed; the next hour tries again',
      );
    }
  }

  /** Open incidents by rule and notifications sent or failed, on the dashboard's /metrics registry. */
  registerMetrics(registry: Registry): void {
    const engine = this.engine;
    const notifier = this.notifier;
    new Gauge({
      name: 'fleet_alerts_open',
      help: 'Alert incidents open now, by rule.',
      labelNames: ['rule'],
      registers: [registry],
      collect() {
        const counts = engine.openCounts();
        for (const rule of RULE_NAMES) this.set({ rule }, counts[rule]);
      },
    });
    new Counter({
      name: 'fleet_alert_notifications_total',
      help: 'Notification attempts since the dashboard started, by channel and outcome (sent, failed: each failed attempt).',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const channel of CHANNEL_KINDS) {
          this.inc({ channel, outcome: 'sent' }, notifier.counts.sent.get(channel) ?? 0);
          this.inc({ channel, outcome: 'failed' }, notifier.counts.failed.get(channel) ?? 0);
        }
      },
    });
  }
}

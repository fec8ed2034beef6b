import type { Clock, Logger } from '@fleet/shared';
import type Database from 'better-sqlite3';
import { Counter, Gauge, type Registry } from 'prom-client';
import { counted } from '../counted.js';
import type { DashboardEvents } from '../events.js';
import type { Fleet } from '../fleet/fleet.js';
import { AlertEngine } from './alert-engine.js';
import { AlertSettings } from './alert-settings.js';
import { AlertStore } from './alert-store.js';
import { CHANNEL_KINDS } from './channels.js';
import { fetchClient, type HttpClient } from './http-client.js';
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
  database: Database.Database;
  events: DashboardEvents;
  fleet: Pick<Fleet, 'summaries' | 'summary'>;
  clock: Clock;
  logger: Logger;
}

/** Alert rules, incidents and notifications, wired together; start()/stop() own the timers and sends. */
export class Alerts {
  readonly store: AlertStore;
  readonly settings: AlertSettings;
  readonly engine: AlertEngine;
  readonly notifier: Notifier;
  private readonly logger: Logger;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: AlertsDeps) {
    this.logger = deps.logger.child({ component: 'alerts' });
    this.store = new AlertStore(deps.database);
    this.settings = new AlertSettings(this.store);
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
      ...(deps.tickMs ? { tickMs: deps.tickMs } : {}),
    });
  }

  start(): void {
    this.settings.load();
    const pending = this.notifier.start();
    this.engine.start();
    const rules = this.settings.view().defaults;
    const on = RULE_NAMES.filter((rule) => rules[rule].enabled);
    const channels = this.settings.channelKinds();
    this.prune();
    this.pruneTimer ??= setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.logger.info(
      {
        rules_on: on,
        channels,
        pending_notifications: pending,
        open_incidents: this.store.list({ state: 'open', limit: 0, offset: 0 }).open,
      },
      `Alerts: rules on ${on.join(', ') || 'none'}; channels ${channels.join(', ') || 'none (incidents are listed on the page only)'}; ${pending} notification${pending === 1 ? '' : 's'} waiting`,
    );
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    this.engine.stop();
    await this.notifier.stop();
  }

  /** Removes the incidents resolved more than keepDays ago (and their finished notifications). */
  prune(): void {
    const days = this.deps.keepDays ?? 30;
    try {
      const removed = this.store.prune(this.deps.clock.now().getTime() - days * 86_400_000);
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

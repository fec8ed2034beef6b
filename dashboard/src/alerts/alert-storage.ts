import type { ChannelKind, Channels } from './channels.js';
import type { Incident } from './formats.js';
import type { RuleName, RuleOverride } from './rules.js';

/** An answer now (SQLite) or later (PostgreSQL). */
export type MaybePromise<T> = T | Promise<T>;

/** Runs `next` on `value` at once when it is there, after it when it is a promise (no tick lost on SQLite). */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** A notification waiting to be sent, with its incident as it is now. */
export interface PendingNotification {
  id: number;
  event: 'opened' | 'resolved';
  channel: ChannelKind;
  attempts: number;
  incident: Incident;
}

export interface IncidentPage {
  incidents: Incident[];
  /** Incidents open now, and all incidents matching the query. */
  open: number;
  total: number;
}

/** What opens or resolves: the incident's row and its notifications go in one transaction. */
export interface Transition {
  deviceId: string;
  rule: RuleName;
  at: number;
  value: number | null;
  threshold: number | null;
}

/** What open() did: `created` false when the incident was open already (nothing was queued then). */
export interface Opened {
  incident: Incident;
  created: boolean;
}

export interface IncidentQuery {
  state: 'open' | 'resolved' | 'all';
  limit: number;
  offset: number;
  deviceId?: string;
}

/**
 * Where the alerts live: rules, channels, incidents and the queue of notifications. The SQLite file by
 * default (AlertStore, answers at once), PostgreSQL with DATABASE_URL (PgAlertStore, answers as promises),
 * so that every replica shows the same rules and incidents. The rules both keep (alert-store-contract.test.ts):
 * - an incident and one notification per channel are written in one transaction;
 * - at most one open incident per (device, rule): opening one that is open already answers the open one and
 *   queues nothing, so each incident has at most one "opened" and one "resolved" per channel;
 * - a notification stays pending until marked sent or given up.
 */
export interface AlertStorage {
  readonly engine: 'sqlite' | 'postgresql';
  /** The fleet defaults' changes (scope '') and each device's override. */
  loadRules(): MaybePromise<{ defaults: RuleOverride; devices: Map<string, RuleOverride> }>;
  saveRules(scope: string, rules: RuleOverride, by: string, at: number): MaybePromise<void>;
  /** True when the scope had rules. */
  deleteRules(scope: string): MaybePromise<boolean>;
  loadChannels(): MaybePromise<Channels>;
  saveChannels(channels: Channels, by: string, at: number): MaybePromise<void>;
  openIncidents(): MaybePromise<Incident[]>;
  /**
   * Opens an incident and queues its notification on each channel, in one transaction. When the device's
   * rule has an open incident already (another replica opened it), that one is answered and nothing queued.
   */
  open(transition: Transition, channels: readonly ChannelKind[]): MaybePromise<Opened>;
  /** Resolves an open incident and queues its notification on each channel; null when it was not open. */
  resolve(
    id: number,
    at: number,
    value: number | null,
    channels: readonly ChannelKind[],
  ): MaybePromise<Incident | null>;
  /** Removes incidents resolved before `cutoff` once their notifications are done; how many. */
  prune(cutoff: number): MaybePromise<number>;
  /** Incidents, open ones first, then the most recent; `state` narrows them. */
  list(query: IncidentQuery): MaybePromise<IncidentPage>;
  /** Notifications due at `now`, oldest first. */
  due(now: number, limit: number): MaybePromise<PendingNotification[]>;
  /** The earliest next attempt of a pending notification; null when none waits. */
  nextDue(): MaybePromise<number | null>;
  /** Makes every pending notification due at `now`. */
  dueNow(now: number): MaybePromise<number>;
  markSent(id: number, at: number): MaybePromise<void>;
  markFailed(id: number, nextAt: number, error: string): MaybePromise<void>;
  /** Ends a notification unsent; `attempt` is 1 when this ends an attempt, 0 when it was not tried. */
  giveUp(id: number, at: number, error: string, attempt: 0 | 1): MaybePromise<void>;
  pendingCount(): MaybePromise<number>;
  /** The ids of the oldest pending notifications. */
  oldestPending(limit: number): MaybePromise<number[]>;
}

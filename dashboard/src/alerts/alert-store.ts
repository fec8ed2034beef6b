import type Database from 'better-sqlite3';
import type {
  AlertStorage,
  IncidentPage,
  IncidentQuery,
  Opened,
  PendingNotification,
  Transition,
} from './alert-storage.js';
import { type ChannelKind, type Channels, NO_CHANNELS } from './channels.js';
import { type Incident, RULE_UNITS } from './formats.js';
import type { RuleName, RuleOverride } from './rules.js';

export interface IncidentRow {
  id: number;
  device_id: string;
  rule: RuleName;
  opened_at: number;
  resolved_at: number | null;
  value: number | null;
  threshold: number | null;
  resolved_value: number | null;
}

export function incidentFromRow(row: IncidentRow): Incident {
  return {
    id: row.id,
    device_id: row.device_id,
    rule: row.rule,
    state: row.resolved_at === null ? 'open' : 'resolved',
    opened_at: new Date(row.opened_at).toISOString(),
    resolved_at: row.resolved_at === null ? null : new Date(row.resolved_at).toISOString(),
    value: row.value,
    threshold: row.threshold,
    resolved_value: row.resolved_value,
    unit: RULE_UNITS[row.rule],
  };
}

/**
 * The alerts' rows in the dashboard's database (see alert-schema.ts): rules, channels, incidents and the
 * queue of notifications. An incident and its notifications are written in one transaction, so an incident
 * on disk always has what it must send.
 */
export class AlertStore implements AlertStorage {
  readonly engine = 'sqlite';
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      rules: db.prepare('SELECT scope, rules FROM alert_rules'),
      saveRules: db.prepare(
        `INSERT INTO alert_rules (scope, rules, updated_at, updated_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (scope) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ),
      deleteRules: db.prepare('DELETE FROM alert_rules WHERE scope = ?'),
      channels: db.prepare('SELECT kind, settings FROM alert_channels'),
      saveChannel: db.prepare(
        `INSERT INTO alert_channels (kind, settings, updated_at, updated_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ),
      deleteChannel: db.prepare('DELETE FROM alert_channels WHERE kind = ?'),
      openIncidents: db.prepare('SELECT * FROM alert_incidents WHERE resolved_at IS NULL'),
      insertIncident: db.prepare(
        `INSERT INTO alert_incidents (device_id, rule, opened_at, value, threshold) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_id, rule) WHERE resolved_at IS NULL DO NOTHING RETURNING *`,
      ),
      openIncident: db.prepare(
        'SELECT * FROM alert_incidents WHERE device_id = ? AND rule = ? AND resolved_at IS NULL',
      ),
      resolveIncident: db.prepare(
        'UPDATE alert_incidents SET resolved_at = ?, resolved_value = ? WHERE id = ? AND resolved_at IS NULL RETURNING *',
      ),
      enqueue: db.prepare(
        `INSERT OR IGNORE INTO alert_notifications (incident_id, event, channel, created_at, next_at)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      countOpen: db.prepare('SELECT COUNT(*) AS n FROM alert_incidents WHERE resolved_at IS NULL'),
      due: db.prepare(
        `SELECT n.id AS nid, n.event, n.channel, n.attempts, i.*
         FROM alert_notifications n JOIN alert_incidents i ON i.id = n.incident_id
         WHERE n.sent_at IS NULL AND n.given_up_at IS NULL AND n.next_at <= ?
         ORDER BY n.next_at, n.id LIMIT ?`,
      ),
      sent: db.prepare(
        'UPDATE alert_notifications SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?',
      ),
      failed: db.prepare(
        'UPDATE alert_notifications SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?',
      ),
      giveUp: db.prepare(
        'UPDATE alert_notifications SET given_up_at = ?, attempts = attempts + ?, last_error = ? WHERE id = ?',
      ),
      pending: db.prepare(
        'SELECT COUNT(*) AS n FROM alert_notifications WHERE sent_at IS NULL AND given_up_at IS NULL',
      ),
      oldestPending: db.prepare(
        `SELECT id FROM alert_notifications WHERE sent_at IS NULL AND given_up_at IS NULL
         ORDER BY created_at, id LIMIT ?`,
      ),
      dueNow: db.prepare(
        'UPDATE alert_notifications SET next_at = ? WHERE sent_at IS NULL AND given_up_at IS NULL AND next_at > ?',
      ),
      pruneNotifications: db.prepare(
        `DELETE FROM alert_notifications WHERE (sent_at IS NOT NULL OR given_up_at IS NOT NULL)
         AND incident_id IN (SELECT id FROM alert_incidents WHERE resolved_at < ?)`,
      ),
      pruneIncidents: db.prepare(
        `DELETE FROM alert_incidents WHERE resolved_at < ?
         AND NOT EXISTS (SELECT 1 FROM alert_notifications n WHERE n.incident_id = alert_incidents.id)`,
      ),
      nextDue: db.prepare(
        'SELECT MIN(next_at) AS at FROM alert_notifications WHERE sent_at IS NULL AND given_up_at IS NULL',
      ),
    };
  }

  /** The fleet defaults' changes (scope '') and each device's override. */
  loadRules(): { defaults: RuleOverride; devices: Map<string, RuleOverride> } {
    const devices = new Map<string, RuleOverride>();
    let defaults: RuleOverride = {};
    for (const row of this.s.rules.all() as Array<{ scope: string; rules: string }>) {
      const rules = JSON.parse(row.rules) as RuleOverride;
      if (row.scope === '') defaults = rules;
      else devices.set(row.scope, rules);
    }
    return { defaults, devices };
  }

  saveRules(scope: string, rules: RuleOverride, by: string, at: number): void {
    this.s.saveRules.run(scope, JSON.stringify(rules), at, by);
  }

  /** True when the scope had rules. */
  deleteRules(scope: string): boolean {
    return this.s.deleteRules.run(scope).changes > 0;
  }

  loadChannels(): Channels {
    const channels: Record<string, unknown> = { ...NO_CHANNELS };
    for (const row of this.s.channels.all() as Array<{ kind: string; settings: string }>) {
      if (row.kind in channels) channels[row.kind] = JSON.parse(row.settings);
    }
    return channels as Channels;
  }

  saveChannels(channels: Channels, by: string, at: number): void {
    this.db.transaction(() => {
      for (const [kind, settings] of Object.entries(channels)) {
        if (settings === null) this.s.deleteChannel.run(kind);
        else this.s.saveChannel.run(kind, JSON.stringify(settings), at, by);
      }
    })();
  }

  openIncidents(): Incident[] {
    return (this.s.openIncidents.all() as IncidentRow[]).map(incidentFromRow);
  }

  /**
   * Opens an incident and queues its notification on each channel, in one transaction; an incident open
   * already for the device and rule (another process opened it) is answered as it is, nothing queued.
   */
  open(transition: Transition, channels: readonly ChannelKind[]): Opened {
    return this.db.transaction(() => {
      const { deviceId, rule, at, value, threshold } = transition;
      const row = this.s.insertIncident.get(deviceId, rule, at, value, threshold) as IncidentRow | undefined;
      if (!row)
        return {
          incident: incidentFromRow(this.s.openIncident.get(deviceId, rule) as IncidentRow),
          created: false,
        };
      for (const channel of channels) this.s.enqueue.run(row.id, 'opened', channel, at, at);
      return { incident: incidentFromRow(row), created: true };
    })();
  }

  /** Resolves an open incident and queues its notification on each channel; null when it was not open. */
  resolve(id: number, at: number, value: number | null, channels: readonly ChannelKind[]): Incident | null {
    return this.db.transaction(() => {
      const row = this.s.resolveIncident.get(at, value, id) as IncidentRow | undefined;
      if (!row) return null;
      for (const channel of channels) this.s.enqueue.run(row.id, 'resolved', channel, at, at);
      return incidentFromRow(row);
    })();
  }

  /**
   * Removes incidents resolved before `cutoff` (epoch ms) and their notifications once each is sent or given
   * up (one still waiting keeps its incident); the number of incidents removed.
   */
  prune(cutoff: number): number {
    return this.db.transaction(() => {
      this.s.pruneNotifications.run(cutoff);
      return this.s.pruneIncidents.run(cutoff).changes;
    })();
  }

  /** Incidents, open ones first, then the most recent; `state` narrows them. */
  list(query: IncidentQuery): IncidentPage {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.state === 'open') where.push('resolved_at IS NULL');
    if (query.state === 'resolved') where.push('resolved_at IS NOT NULL');
    if (query.deviceId !== undefined) {
      where.push('device_id = ?');
      params.push(query.deviceId);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.db
      .prepare(
        `SELECT * FROM alert_incidents ${clause}
         ORDER BY resolved_at IS NOT NULL, COALESCE(resolved_at, opened_at) DESC, id DESC LIMIT ? OFFSET ?`,
      )
      .all(...params, query.limit, query.offset) as IncidentRow[];
    const total = (
      this.db.prepare(`SELECT COUNT(*) AS n FROM alert_incidents ${clause}`).get(...params) as {
        n: number;
      }
    ).n;
    const open = (this.s.countOpen.get() as { n: number }).n;
    return { incidents: rows.map(incidentFromRow), open, total };
  }

  /** Notifications due at `now`, oldest first. */
  due(now: number, limit: number): PendingNotification[] {
    const rows = this.s.due.all(now, limit) as Array<
      IncidentRow & { nid: number; event: 'opened' | 'resolved'; channel: ChannelKind; attempts: number }
    >;
    return rows.map((row) => ({
      id: row.nid,
      event: row.event,
      channel: row.channel,
      attempts: row.attempts,
      incident: incidentFromRow(row),
    }));
  }

  /** The earliest next attempt of a pending notification; null when none waits. */
  nextDue(): number | null {
    return (this.s.nextDue.get() as { at: number | null }).at;
  }

  /** Makes every pending notification due at `now` (at start: a restart is a good time to try again). */
  dueNow(now: number): number {
    return this.s.dueNow.run(now, now).changes;
  }

  markSent(id: number, at: number): void {
    this.s.sent.run(at, id);
  }

  markFailed(id: number, nextAt: number, error: string): void {
    this.s.failed.run(nextAt, error, id);
  }

  /** Ends a notification unsent; `attempt` is 1 when this ends an attempt, 0 when it was not tried. */
  giveUp(id: number, at: number, error: string, attempt: 0 | 1): void {
    this.s.giveUp.run(at, attempt, error, id);
  }

  pendingCount(): number {
    return (this.s.pending.get() as { n: number }).n;
  }

  /** The ids of the oldest pending notifications. */
  oldestPending(limit: number): number[] {
    return (this.s.oldestPending.all(limit) as Array<{ id: number }>).map((row) => row.id);
  }
}

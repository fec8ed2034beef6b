import type pg from 'pg';
import { inTransaction } from '../storage/postgres/pool.js';
import type {
  AlertStorage,
  IncidentPage,
  IncidentQuery,
  Opened,
  PendingNotification,
  Transition,
} from './alert-storage.js';
import { type IncidentRow, incidentFromRow } from './alert-store.js';
import { type ChannelKind, type Channels, NO_CHANNELS } from './channels.js';
import type { Incident } from './formats.js';
import type { RuleOverride } from './rules.js';

/**
 * Checked inside each transaction that opens or resolves an incident: it throws when this replica no longer
 * leads the alerts (see PgLeadership), so the write is rolled back.
 */
export interface LeaderFence {
  check(client: pg.PoolClient): Promise<void>;
}

const PENDING = 'sent_at IS NULL AND given_up_at IS NULL';

/**
 * AlertStore's rules on PostgreSQL (layout version 5), so that every replica shows the same rules, channels
 * and incidents. The pool is the caller's. With a fence, opening or resolving an incident is refused once
 * this replica has lost the alerts' lock.
 */
export class PgAlertStore implements AlertStorage {
  readonly engine = 'postgresql';

  constructor(
    private readonly pool: pg.Pool,
    private readonly fence: LeaderFence | null = null,
  ) {}

  async loadRules(): Promise<{ defaults: RuleOverride; devices: Map<string, RuleOverride> }> {
    const { rows } = await this.pool.query<{ scope: string; rules: RuleOverride }>(
      'SELECT scope, rules FROM alert_rules',
    );
    const devices = new Map<string, RuleOverride>();
    let defaults: RuleOverride = {};
    for (const row of rows) {
      if (row.scope === '') defaults = row.rules;
      else devices.set(row.scope, row.rules);
    }
    return { defaults, devices };
  }

  async saveRules(scope: string, rules: RuleOverride, by: string, at: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO alert_rules (scope, rules, updated_at, updated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (scope) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [scope, JSON.stringify(rules), at, by],
    );
  }

  async deleteRules(scope: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM alert_rules WHERE scope = $1', [scope]);
    return (result.rowCount ?? 0) > 0;
  }

  async loadChannels(): Promise<Channels> {
    const { rows } = await this.pool.query<{ kind: string; settings: unknown }>(
      'SELECT kind, settings FROM alert_channels',
    );
    const channels: Record<string, unknown> = { ...NO_CHANNELS };
    for (const row of rows) if (row.kind in channels) channels[row.kind] = row.settings;
    return channels as Channels;
  }

  async saveChannels(channels: Channels, by: string, at: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      for (const [kind, settings] of Object.entries(channels)) {
        if (settings === null) await client.query('DELETE FROM alert_channels WHERE kind = $1', [kind]);
        else
          await client.query(
            `INSERT INTO alert_channels (kind, settings, updated_at, updated_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (kind) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
            [kind, JSON.stringify(settings), at, by],
          );
      }
    });
  }

  async openIncidents(): Promise<Incident[]> {
    const { rows } = await this.pool.query<IncidentRow>(
      'SELECT * FROM alert_incidents WHERE resolved_at IS NULL',
    );
    return rows.map(incidentFromRow);
  }

  async open(transition: Transition, channels: readonly ChannelKind[]): Promise<Opened> {
    return inTransaction(this.pool, async (client) => {
      await this.fence?.check(client);
      const { deviceId, rule, at, value, threshold } = transition;
      const inserted = await client.query<IncidentRow>(
        `INSERT INTO alert_incidents (device_id, rule, opened_at, value, threshold) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (device_id, rule) WHERE resolved_at IS NULL DO NOTHING RETURNING *`,
        [deviceId, rule, at, value, threshold],
      );
      const row = inserted.rows[0];
      if (!row) {
        const existing = await client.query<IncidentRow>(
          'SELECT * FROM alert_incidents WHERE device_id = $1 AND rule = $2 AND resolved_at IS NULL',
          [deviceId, rule],
        );
        return { incident: incidentFromRow(existing.rows[0] as IncidentRow), created: false };
      }
      await this.enqueue(client, row.id, 'opened', channels, at);
      return { incident: incidentFromRow(row), created: true };
    });
  }

  async resolve(
    id: number,
    at: number,
    value: number | null,
    channels: readonly ChannelKind[],
  ): Promise<Incident | null> {
    return inTransaction(this.pool, async (client) => {
      await this.fence?.check(client);
      const { rows } = await client.query<IncidentRow>(
        'UPDATE alert_incidents SET resolved_at = $1, resolved_value = $2 WHERE id = $3 AND resolved_at IS NULL RETURNING *',
        [at, value, id],
      );
      const row = rows[0];
      if (!row) return null;
      await this.enqueue(client, row.id, 'resolved', channels, at);
      return incidentFromRow(row);
    });
  }

  private async enqueue(
    client: pg.PoolClient,
    incidentId: number,
    event: 'opened' | 'resolved',
    channels: readonly ChannelKind[],
    at: number,
  ): Promise<void> {
    if (channels.length === 0) return;
    await client.query(
      `INSERT INTO alert_notifications (incident_id, event, channel, created_at, next_at)
       SELECT $1, $2, channel, $3, $3 FROM unnest($4::text[]) AS channel
       ON CONFLICT (incident_id, event, channel) DO NOTHING`,
      [incidentId, event, at, [...channels]],
    );
  }

  async prune(cutoff: number): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `DELETE FROM alert_notifications WHERE (sent_at IS NOT NULL OR given_up_at IS NOT NULL)
         AND incident_id IN (SELECT id FROM alert_incidents WHERE resolved_at < $1)`,
        [cutoff],
      );
      const removed = await client.query(
        `DELETE FROM alert_incidents WHERE resolved_at < $1
         AND NOT EXISTS (SELECT 1 FROM alert_notifications n WHERE n.incident_id = alert_incidents.id)`,
        [cutoff],
      );
      return removed.rowCount ?? 0;
    });
  }

  async list(query: IncidentQuery): Promise<IncidentPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.state === 'open') where.push('resolved_at IS NULL');
    if (query.state === 'resolved') where.push('resolved_at IS NOT NULL');
    if (query.deviceId !== undefined) {
      params.push(query.deviceId);
      where.push(`device_id = $${params.length}`);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.pool.query<IncidentRow>(
      `SELECT * FROM alert_incidents ${clause}
       ORDER BY resolved_at IS NOT NULL, COALESCE(resolved_at, opened_at) DESC, id DESC
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, query.limit, query.offset],
    );
    const counts = await this.pool.query<{ total: number; open: number }>(
      `SELECT (SELECT COUNT(*) FROM alert_incidents ${clause}) AS total,
              (SELECT COUNT(*) FROM alert_incidents WHERE resolved_at IS NULL) AS open`,
      params,
    );
    const { total, open } = counts.rows[0] as { total: number; open: number };
    return { incidents: rows.rows.map(incidentFromRow), open, total };
  }

  async due(now: number, limit: number): Promise<PendingNotification[]> {
    const { rows } = await this.pool.query<
      IncidentRow & { nid: number; event: 'opened' | 'resolved'; channel: ChannelKind; attempts: number }
    >(
      `SELECT n.id AS nid, n.event, n.channel, n.attempts, i.*
       FROM alert_notifications n JOIN alert_incidents i ON i.id = n.incident_id
       WHERE n.sent_at IS NULL AND n.given_up_at IS NULL AND n.next_at <= $1
       ORDER BY n.next_at, n.id LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => ({
      id: row.nid,
      event: row.event,
      channel: row.channel,
      attempts: row.attempts,
      incident: incidentFromRow(row),
    }));
  }

  async nextDue(): Promise<number | null> {
    const { rows } = await this.pool.query<{ at: number | null }>(
      `SELECT MIN(next_at) AS at FROM alert_notifications WHERE ${PENDING}`,
    );
    return rows[0]?.at ?? null;
  }

  async dueNow(now: number): Promise<number> {
    const result = await this.pool.query(
      `UPDATE alert_notifications SET next_at = $1 WHERE ${PENDING} AND next_at > $1`,
      [now],
    );
    return result.rowCount ?? 0;
  }

  async markSent(id: number, at: number): Promise<void> {
    await this.pool.query(
      'UPDATE alert_notifications SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2',
      [at, id],
    );
  }

  async markFailed(id: number, nextAt: number, error: string): Promise<void> {
    await this.pool.query(
      'UPDATE alert_notifications SET attempts = attempts + 1, next_at = $1, last_error = $2 WHERE id = $3',
      [nextAt, error, id],
    );
  }

  async giveUp(id: number, at: number, error: string, attempt: 0 | 1): Promise<void> {
    await this.pool.query(
      'UPDATE alert_notifications SET given_up_at = $1, attempts = attempts + $2, last_error = $3 WHERE id = $4',
      [at, attempt, error, id],
    );
  }

  async pendingCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM alert_notifications WHERE ${PENDING}`,
    );
    return rows[0]?.n ?? 0;
  }

  async oldestPending(limit: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ id: number }>(
      `SELECT id FROM alert_notifications WHERE ${PENDING} ORDER BY created_at, id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.id);
  }
}

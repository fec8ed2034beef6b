import type pg from 'pg';
import type { CommandLogEntry, CommandOutcomeName } from '../api-types.js';
import {
  type CommandLogRow,
  countOutcomes,
  type NewCommandRow,
  type TrailAnswer,
  type TrailStore,
  toEntry,
} from './trail-store.js';

const COLUMNS = 'command_id, device_id, sent_at, actor, actor_kind, command, outcome, error, answered_at';

/**
 * The command trail in PostgreSQL (DATABASE_URL, layout version 4), shared by every replica: a command sent
 * through one is listed by all, and the ack that every replica receives answers its row once (the UPDATE
 * only changes a row still without answer; the others read the answer it wrote).
 */
export class PgTrailStore implements TrailStore {
  readonly engine = 'postgresql' as const;

  constructor(private readonly pool: pg.Pool) {}

  async has(commandId: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM command_log WHERE command_id = $1', [commandId]);
    return rows.length > 0;
  }

  async insert(row: NewCommandRow): Promise<CommandLogEntry> {
    const { rows } = await this.pool.query<CommandLogRow>(
      `INSERT INTO command_log (command_id, device_id, sent_at, actor, actor_kind, command, outcome, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [
        row.command_id,
        row.device_id,
        row.sent_at,
        row.actor,
        row.actor_kind,
        row.command,
        row.outcome,
        row.error,
      ],
    );
    return toEntry(rows[0] as CommandLogRow);
  }

  async answer(answer: TrailAnswer): Promise<{ entry: CommandLogEntry; changed: boolean } | null> {
    const { commandId, deviceId, outcome, error, at } = answer;
    const updated = await this.pool.query<CommandLogRow>(
      `UPDATE command_log SET outcome = $1, error = $2, answered_at = $3
       WHERE command_id = $4 AND device_id = $5 AND outcome = 'no_answer' RETURNING ${COLUMNS}`,
      [outcome, error, at, commandId, deviceId],
    );
    const row = updated.rows[0];
    if (row) return { entry: toEntry(row), changed: true };
    const { rows } = await this.pool.query<CommandLogRow>(
      `SELECT ${COLUMNS} FROM command_log WHERE command_id = $1 AND device_id = $2 AND outcome <> 'no_answer'`,
      [commandId, deviceId],
    );
    return rows[0] ? { entry: toEntry(rows[0]), changed: false } : null;
  }

  async list(deviceId: string, limit: number): Promise<CommandLogEntry[]> {
    const { rows } = await this.pool.query<CommandLogRow>(
      `SELECT ${COLUMNS} FROM command_log WHERE device_id = $1 ORDER BY sent_at DESC, row_id DESC LIMIT $2`,
      [deviceId, limit],
    );
    return rows.map(toEntry);
  }

  async outcomeCounts(): Promise<Record<CommandOutcomeName, number>> {
    const { rows } = await this.pool.query<{ outcome: string; count: number }>(
      'SELECT outcome, COUNT(*) AS count FROM command_log GROUP BY outcome',
    );
    return countOutcomes(rows);
  }
}

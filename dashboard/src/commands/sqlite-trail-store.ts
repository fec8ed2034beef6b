import type Database from 'better-sqlite3';
import type { CommandLogEntry, CommandOutcomeName } from '../api-types.js';
import {
  type CommandLogRow,
  countOutcomes,
  type NewCommandRow,
  type TrailAnswer,
  type TrailStore,
  toEntry,
} from './trail-store.js';

/** The command trail in the SQLite file's `command_log`; every answer is synchronous. */
export class SqliteTrailStore implements TrailStore {
  readonly engine = 'sqlite' as const;
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO command_log (command_id, device_id, sent_at, actor, actor_kind, command, outcome, error)
         VALUES (@command_id, @device_id, @sent_at, @actor, @actor_kind, @command, @outcome, @error)`,
      ),
      answer: db.prepare(
        `UPDATE command_log SET outcome = ?, error = ?, answered_at = ?
         WHERE command_id = ? AND device_id = ? AND outcome = 'no_answer'`,
      ),
      get: db.prepare('SELECT * FROM command_log WHERE command_id = ?'),
      list: db.prepare(
        'SELECT * FROM command_log WHERE device_id = ? ORDER BY sent_at DESC, rowid DESC LIMIT ?',
      ),
      outcomes: db.prepare('SELECT outcome, COUNT(*) AS count FROM command_log GROUP BY outcome'),
    };
  }

  has(commandId: string): boolean {
    return this.statements.get.get(commandId) !== undefined;
  }

  insert(row: NewCommandRow): CommandLogEntry {
    this.statements.insert.run(row);
    return toEntry(this.statements.get.get(row.command_id) as CommandLogRow);
  }

  answer(answer: TrailAnswer): { entry: CommandLogEntry; changed: boolean } | null {
    const { commandId, deviceId, outcome, error, at } = answer;
    const changed = this.statements.answer.run(outcome, error, at, commandId, deviceId).changes > 0;
    const row = this.statements.get.get(commandId) as CommandLogRow | undefined;
    if (!row || row.device_id !== deviceId || row.outcome === 'no_answer') return null;
    return { entry: toEntry(row), changed };
  }

  list(deviceId: string, limit: number): CommandLogEntry[] {
    return (this.statements.list.all(deviceId, limit) as CommandLogRow[]).map(toEntry);
  }

  outcomeCounts(): Record<CommandOutcomeName, number> {
    return countOutcomes(this.statements.outcomes.all() as { outcome: string; count: number }[]);
  }
}

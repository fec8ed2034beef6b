import type { Ack, Clock } from '@fleet/shared';
import type Database from 'better-sqlite3';
import type { CommandLogEntry, CommandOutcomeName } from '../api-types.js';
import type { DashboardEvents } from '../events.js';

interface CommandLogRow {
  command_id: string;
  device_id: string;
  sent_at: number;
  actor: string;
  actor_kind: string;
  command: string;
  outcome: string;
  error: string | null;
  answered_at: number | null;
}

export interface SentCommand {
  commandId: string;
  deviceId: string;
  by: CommandLogEntry['by'];
  /** The command's fields, without device_id and command_id. */
  command: Record<string, unknown>;
  /** no_answer: the broker took it; not_sent: it did not (`error` says why). */
  outcome: 'no_answer' | 'not_sent';
  error?: string | null;
}

/**
 * The trail of commands, in the table `command_log`: who sent what to which device and when, and what the
 * device answered. The answer is matched by command id whenever its ack arrives, hours later if the device
 * was offline, across restarts. Each new entry and each answer is announced as the event `command`.
 */
export class CommandTrail {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly clock: Clock,
    private readonly events: DashboardEvents,
  ) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO command_log (command_id, device_id, sent_at, actor, actor_kind, command, outcome, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
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

  /** True when a command with this id is in the trail already. */
  has(commandId: string): boolean {
    return this.statements.get.get(commandId) !== undefined;
  }

  record(sent: SentCommand): CommandLogEntry {
    this.statements.insert.run(
      sent.commandId,
      sent.deviceId,
      this.clock.now().getTime(),
      sent.by.name,
      sent.by.kind,
      JSON.stringify(sent.command),
      sent.outcome,
      sent.error ?? null,
    );
    const entry = this.entry(sent.commandId) as CommandLogEntry;
    this.announce(entry);
    return entry;
  }

  /**
   * The device's ack: its command becomes applied or rejected (once). Null when no command waits for it.
   * `announce: false` leaves the `command` event to the caller (the ingest announces after its commit).
   */
  answer(ack: Ack, options: { announce: boolean } = { announce: true }): CommandLogEntry | null {
    if (ack.command_id === null) return null;
    const changed = this.statements.answer.run(
      ack.status,
      ack.status === 'rejected' ? (ack.error ?? 'rejected without a reason') : null,
      this.clock.now().getTime(),
      ack.command_id,
      ack.device_id,
    ).changes;
    if (changed === 0) return null;
    const entry = this.entry(ack.command_id);
    if (entry && options.announce) this.announce(entry);
    return entry;
  }

  /** The device's commands, newest first. */
  list(deviceId: string, limit: number): CommandLogEntry[] {
    return (this.statements.list.all(deviceId, limit) as CommandLogRow[]).map(toEntry);
  }

  /** Commands in the trail by their outcome now (the trail keeps every command, a forgotten device's too). */
  outcomeCounts(): Record<CommandOutcomeName, number> {
    const counts: Record<CommandOutcomeName, number> = { no_answer: 0, applied: 0, rejected: 0, not_sent: 0 };
    for (const row of this.statements.outcomes.all() as { outcome: CommandOutcomeName; count: number }[]) {
      counts[row.outcome] = row.count;
    }
    return counts;
  }

  /** The event `command` for an entry. */
  announce(entry: CommandLogEntry): void {
    this.events.emit('command', entry);
  }

  private entry(commandId: string): CommandLogEntry | null {
    const row = this.statements.get.get(commandId) as CommandLogRow | undefined;
    return row ? toEntry(row) : null;
  }
}

function toEntry(row: CommandLogRow): CommandLogEntry {
  return {
    command_id: row.command_id,
    device_id: row.device_id,
    sent_at: new Date(row.sent_at).toISOString(),
    by: { name: row.actor, kind: row.actor_kind as CommandLogEntry['by']['kind'] },
    command: JSON.parse(row.command) as Record<string, unknown>,
    outcome: row.outcome as CommandLogEntry['outcome'],
    error: row.error,
    answered_at: row.answered_at === null ? null : new Date(row.answered_at).toISOString(),
  };
}

import type { Ack } from '@fleet/shared';
import type { CommandLogEntry, CommandOutcomeName } from '../api-types.js';

/** A value now (SQLite) or later (PostgreSQL). */
export type MaybeAsync<T> = T | Promise<T>;

/** One row of `command_log`, as both engines store it (times in epoch ms). */
export interface CommandLogRow {
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

/** The row to insert for a command sent. */
export type NewCommandRow = Omit<CommandLogRow, 'answered_at'>;

/** A device's answer, as the trail stores it. */
export interface TrailAnswer {
  commandId: string;
  deviceId: string;
  outcome: Ack['status'];
  error: string | null;
  at: number;
}

/**
 * Where the command trail is kept: the SQLite file (SqliteTrailStore), or PostgreSQL with DATABASE_URL
 * (PgTrailStore), so that every replica lists every command. Answers are values on SQLite (the ingest
 * answers in its group's transaction) and promises on PostgreSQL.
 */
export interface TrailStore {
  readonly engine: 'sqlite' | 'postgresql';
  has(commandId: string): MaybeAsync<boolean>;
  /** Inserts the row (a command id already there is refused, as a unique key) and returns it as stored. */
  insert(row: NewCommandRow): MaybeAsync<CommandLogEntry>;
  /**
   * Answers the command with this id and device once: `changed` when this call answered it, false when it
   * was answered already (another replica got the same ack, or the ack came again). Null when the trail has
   * no such command of that device.
   */
  answer(answer: TrailAnswer): MaybeAsync<{ entry: CommandLogEntry; changed: boolean } | null>;
  /** The device's commands, newest first. */
  list(deviceId: string, limit: number): MaybeAsync<CommandLogEntry[]>;
  outcomeCounts(): MaybeAsync<Record<CommandOutcomeName, number>>;
}

export function toEntry(row: CommandLogRow): CommandLogEntry {
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

export function countOutcomes(
  rows: readonly { outcome: string; count: number }[],
): Record<CommandOutcomeName, number> {
  const counts: Record<CommandOutcomeName, number> = { no_answer: 0, applied: 0, rejected: 0, not_sent: 0 };
  for (const row of rows) counts[row.outcome as CommandOutcomeName] = row.count;
  return counts;
}

/** `then` for a value that may be a promise: stays synchronous when it is not one. */
export function andThen<T, U>(value: MaybeAsync<T>, next: (value: T) => U): MaybeAsync<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

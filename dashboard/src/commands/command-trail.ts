import type { Ack, Clock } from '@fleet/shared';
import type { CommandLogEntry, CommandOutcomeName } from '../api-types.js';
import type { DashboardEvents } from '../events.js';
import { andThen, type MaybeAsync, type TrailAnswer, type TrailStore } from './trail-store.js';

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

/** Answers announced by this dashboard that it remembers, so that an ack coming again is not announced again. */
const ANNOUNCED_MAX = 1000;
/** Acks whose command was not in the trail yet, tried once more after RETRY_MS (at most this many at once). */
const RETRIES_MAX = 1000;
export const TRAIL_RETRY_MS = 2000;

/**
 * The trail of commands: who sent what to which device and when, and what the device answered. The answer is
 * matched by command id whenever its ack arrives, hours later if the device was offline, across restarts.
 * Each new entry and each answer is announced as the event `command`, to this dashboard's browsers: an
 * answer once per dashboard, whether this one wrote it or another replica did (every replica gets the ack;
 * the first to write it answers the row, the others announce what it wrote). Kept in a TrailStore: the SQLite
 * file, whose answers are synchronous (the ingest answers in its group's transaction), or PostgreSQL.
 */
export class CommandTrail {
  /** Command ids whose answer was announced here, oldest first. */
  private readonly announced = new Set<string>();
  /** Acks tried again shortly, by command id. */
  private readonly retries = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: TrailStore,
    private readonly clock: Clock,
    private readonly events: DashboardEvents,
  ) {}

  get engine(): TrailStore['engine'] {
    return this.store.engine;
  }

  /** True when a command with this id is in the trail already. */
  has(commandId: string): MaybeAsync<boolean> {
    return this.store.has(commandId);
  }

  record(sent: SentCommand): MaybeAsync<CommandLogEntry> {
    const inserted = this.store.insert({
      command_id: sent.commandId,
      device_id: sent.deviceId,
      sent_at: this.clock.now().getTime(),
      actor: sent.by.name,
      actor_kind: sent.by.kind,
      command: JSON.stringify(sent.command),
      outcome: sent.outcome,
      error: sent.error ?? null,
    });
    return andThen(inserted, (entry) => {
      this.announce(entry);
      return entry;
    });
  }

  /**
   * The device's ack: its command becomes applied or rejected (once). The entry to announce, or null when no
   * command waits for it or its answer was announced here already. `announce: false` leaves the `command`
   * event to the caller (the ingest announces after its commit).
   */
  answer(ack: Ack, options: { announce: boolean } = { announce: true }): MaybeAsync<CommandLogEntry | null> {
    if (ack.command_id === null) return null;
    const commandId = ack.command_id;
    const answered = this.store.answer(this.answerOf(ack));
    return andThen(answered, (result) => {
      if (!result) this.retryLater(ack);
      if (!result || (!result.changed && this.announced.has(commandId))) return null;
      this.remember(commandId);
      if (options.announce) this.announce(result.entry);
      return result.entry;
    });
  }

  /** The device's commands, newest first. */
  list(deviceId: string, limit: number): MaybeAsync<CommandLogEntry[]> {
    return this.store.list(deviceId, limit);
  }

  /** Commands in the trail by their outcome now (the trail keeps every command, a forgotten device's too). */
  outcomeCounts(): MaybeAsync<Record<CommandOutcomeName, number>> {
    return this.store.outcomeCounts();
  }

  private answerOf(ack: Ack): TrailAnswer {
    return {
      commandId: ack.command_id ?? '',
      deviceId: ack.device_id,
      outcome: ack.status,
      error: ack.status === 'rejected' ? (ack.error ?? 'rejected without a reason') : null,
      at: this.clock.now().getTime(),
    };
  }

  /** The event `command` for an entry. */
  announce(entry: CommandLogEntry): void {
    this.events.emit('command', entry);
  }

  /** Ends the retries waiting (at shutdown). */
  stop(): void {
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  /**
   * An ack whose command is not in the trail (yet): with replicas, the one that sent it may still be recording
   * it while the ack reaches every replica. Tried once more shortly, announced then if answered.
   */
  private retryLater(ack: Ack): void {
    const commandId = ack.command_id;
    if (commandId === null || this.retries.has(commandId) || this.retries.size >= RETRIES_MAX) return;
    const timer = setTimeout(() => {
      this.retries.delete(commandId);
      const again = () => this.store.answer(this.answerOf(ack));
      void Promise.resolve()
        .then(again)
        .then((result) => {
          if (!result || (!result.changed && this.announced.has(commandId))) return;
          this.remember(commandId);
          this.announce(result.entry);
        })
        .catch(() => undefined); // the ack's own attempt was logged by its caller; this one is a courtesy
    }, TRAIL_RETRY_MS);
    timer.unref();
    this.retries.set(commandId, timer);
  }

  private remember(commandId: string): void {
    this.announced.delete(commandId);
    this.announced.add(commandId);
    if (this.announced.size > ANNOUNCED_MAX) {
      const oldest = this.announced.values().next().value;
      if (oldest !== undefined) this.announced.delete(oldest);
    }
  }
}

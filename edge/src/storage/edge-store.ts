import type { Ack, Clock, Logger, OtaStatus, Telemetry } from '@fleet/shared';
import type { EdgeConfig } from '../config.js';
import type { EdgeSettings } from '../device/settings.js';
import type { BuildReading, SqliteOutbox } from '../outbox/sqlite-outbox.js';
import type { CommandMemory } from '../state/command-memory.js';
import type { StateStore } from '../state/device-state.js';
import type { EpochDecision } from '../state/epoch.js';
import type { EnvSettings, StartupState } from '../state/startup-state.js';
import { DegradedLog } from './degraded-log.js';
import type { DatabaseCondition } from './edge-database.js';
import { openStorage } from './open-storage.js';
import { describeStorageError, storageFailure } from './storage-errors.js';
import type { Transactor } from './transactor.js';

/** What a command changes, written in one transaction with its ack. */
export interface CommandChange {
  settings?: EdgeSettings;
  /** The OTA status the command starts (`downloading`). */
  ota?: OtaStatus;
  /** A reading to take (`read_now`). */
  reading?: BuildReading;
}

/** A command's ack, remembered under its id. */
export interface RememberedAck {
  commandId: string;
  ack: Ack;
  /** When it was received, or null when the clock is not synchronised. */
  receivedAt: Date | null;
}

export interface EdgeStoreParts {
  tx: Transactor;
  state: StateStore;
  outbox: SqliteOutbox;
  commands: CommandMemory;
  condition: DatabaseCondition;
  path: string;
  startup: StartupState;
  epoch: EpochDecision;
  logger: Logger;
}

export interface EdgeStoreOptions {
  config: Pick<EdgeConfig, 'dataDir' | 'outboxMax'> & EnvSettings;
  clock: Clock;
  logger: Logger;
  /** Readings held in memory at most while the disk refuses writes (default 10 000). */
  memoryMax?: number;
}

/**
 * Everything the edge keeps on disk, in one SQLite database (`<DATA_DIR>/edge.db`): the state, the outbox and
 * the acks of recent commands. Each fact is one transaction: a command's effect with its ack, a reading with
 * its seq, the OTA outcome with the firmware version. Open it with `EdgeStore.open()`.
 */
export class EdgeStore {
  readonly outbox: SqliteOutbox;
  readonly startup: StartupState;
  readonly epoch: EpochDecision;
  readonly condition: DatabaseCondition;
  readonly path: string;
  /** The database and its transactions, for the modules of the store (and tests that look inside). */
  readonly tx: Transactor;
  private readonly state: StateStore;
  private readonly commands: CommandMemory;
  private readonly logger: Logger;
  private readonly memoryLog: DegradedLog;
  private closed = false;

  constructor(parts: EdgeStoreParts) {
    this.tx = parts.tx;
    this.state = parts.state;
    this.outbox = parts.outbox;
    this.commands = parts.commands;
    this.condition = parts.condition;
    this.path = parts.path;
    this.startup = parts.startup;
    this.epoch = parts.epoch;
    this.logger = parts.logger;
    this.memoryLog = new DegradedLog(parts.logger, 'warn');
  }

  /** Opens (or creates, imports, repairs) the database in DATA_DIR and records that a run has begun. */
  static async open(options: EdgeStoreOptions): Promise<EdgeStore> {
    return new EdgeStore(await openStorage(options));
  }

  /** Numbers and queues a scheduled reading; never fails for a storage reason (see SqliteOutbox.take). */
  takeReading(build: BuildReading): Telemetry {
    return this.outbox.take(build);
  }

  /**
   * Writes a command's effect and its ack in one transaction; throws, having changed nothing, when it cannot
   * be written. Gives the reading of a `read_now`.
   */
  applyCommand(change: CommandChange, remembered: RememberedAck | null): Telemetry | null {
    return this.tx.run(() => {
      if (change.settings || change.ota) {
        this.state.write({
          ...(change.settings ? { settings: change.settings } : {}),
          ...(change.ota ? { ota: change.ota } : {}),
        });
      }
      const reading = change.reading ? this.outbox.add(change.reading) : null;
      if (remembered) this.commands.remember(remembered.commandId, remembered.ack, remembered.receivedAt);
      return reading;
    });
  }

  /** Writes an OTA status and the firmware version running with it, together; throws when it cannot. */
  saveOta(ota: OtaStatus, firmware: string): void {
    this.state.write({ ota, firmware });
  }

  /** The ack already given to this command id, or null. A database that cannot be read answers null. */
  recall(commandId: string): Ack | null {
    try {
      return this.commands.recall(commandId);
    } catch (error) {
      if (storageFailure(error) === null) throw error;
      this.memoryLog.fail(error, 'commands are applied without checking whether they were seen before');
      return null;
    }
  }

  /** Remembers the ack of a rejected command; false (logged once) when it cannot be written. */
  rememberRejection(remembered: RememberedAck): boolean {
    try {
      this.commands.remember(remembered.commandId, remembered.ack, remembered.receivedAt);
      this.memoryLog.clear('The acks of commands are written again.');
      return true;
    } catch (error) {
      if (storageFailure(error) === null) throw error;
      this.memoryLog.fail(
        error,
        'the rejection of a command is not remembered (the same command sent again is checked again)',
      );
      return false;
    }
  }

  /**
   * Ends the run: writes what is held in memory and the seq counter, and last that the run stopped cleanly (so
   * the next start continues the epoch), then closes the database. When that cannot be written the next start
   * begins a new epoch (`unclean_stop`), which is safe. Gives whether the clean stop is recorded.
   */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    let clean = false;
    try {
      this.tx.run(() => {
        this.outbox.catchUp();
        this.state.write({ cleanStop: true });
      });
      clean = true;
    } catch (error) {
      if (storageFailure(error) === null) throw error;
      this.logger.error(
        { err: describeStorageError(error), held: this.outbox.held },
        `The clean stop could not be written (${describeStorageError(error)}): the next start begins a new epoch (unclean_stop); ${this.outbox.held} reading(s) held in memory are lost.`,
      );
    }
    this.tx.db.close();
    return clean;
  }
}

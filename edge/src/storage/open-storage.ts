import type { Logger } from '@fleet/shared';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import { CommandMemory } from '../state/command-memory.js';
import { type LoadedState, StateStore } from '../state/device-state.js';
import { decideEpoch, type EpochDecision, newEpoch } from '../state/epoch.js';
import { envSnapshotOf, resolveStartupState } from '../state/startup-state.js';
import { type OpenedDatabase, openEdgeDatabase } from './edge-database.js';
import type { EdgeStoreOptions, EdgeStoreParts } from './edge-store.js';
import {
  LEGACY_OUTBOX_FILE,
  LEGACY_STATE_FILE,
  type LegacyOutbox,
  type LegacyState,
  moveLegacyAside,
  readLegacyOutbox,
  readLegacyState,
  removeLegacyFiles,
  removeLegacyTempFiles,
} from './legacy-files.js';
import { describeStorageError, storageFailure } from './storage-errors.js';
import { Transactor } from './transactor.js';

/**
 * The start of a run: opens the database (moving a damaged one aside), imports the previous release's files,
 * decides the epoch, resolves the start-up state against the environment, and writes it with "not stopped
 * cleanly" before the first reading. Nothing here stops the edge: each problem is logged once with what was
 * done.
 */
export async function openStorage(options: EdgeStoreOptions): Promise<EdgeStoreParts> {
  const { config, clock } = options;
  const logger = options.logger.child({ component: 'storage' });
  const dir = config.dataDir;

  const stale = await removeLegacyTempFiles(dir);
  if (stale.length > 0) {
    logger.info(
      { files: stale },
      `Removed ${stale.length} unfinished write(s) left by the previous release.`,
    );
  }
  const opened = openEdgeDatabase(dir, logger, clock.now());
  const tx = new Transactor(opened.db);
  const state = new StateStore(tx);
  const loaded: LoadedState = opened.condition === 'memory' ? { state: null, problem: null } : state.load();
  if (loaded.problem) {
    logger.warn(
      { problem: loaded.problem },
      `The state in ${opened.path} is not valid (${loaded.problem}); starting from the environment, with a new epoch.`,
    );
  }
  const legacy = await readLegacy(dir, config.outboxMax, opened, logger, clock.now());
  const legacyState = loaded.state ? null : legacy.state;

  let epoch = decideEpoch({
    previous: loaded.state,
    lost:
      opened.condition === 'replaced' ||
      opened.condition === 'memory' ||
      loaded.problem !== null ||
      legacy.state.problem !== null ||
      (legacy.outbox.found && !legacy.state.found),
    upgraded: legacyState?.facts != null,
  });
  const startup = resolveStartupState(loaded.state ?? legacyState?.facts ?? null, config, { clock });
  const commands = new CommandMemory(tx);

  const begin = (decision: EpochDecision) => {
    const outbox = new SqliteOutbox({
      tx,
      logger,
      max: config.outboxMax,
      epoch: decision.epoch,
      seqNext: decision.seqNext,
      memoryMax: options.memoryMax,
      saveSeqNext: (seqNext) =>
        state.write({ epoch: decision.epoch, epochReason: decision.reason, seqNext, cleanStop: false }),
    });
    outbox.open();
    return outbox;
  };
  let outbox = begin(epoch);
  let imported = 0;
  const finish = (): EdgeStoreParts => {
    logEpoch(logger, epoch, opened.path);
    const { condition, path } = opened;
    return { tx, state, outbox, commands, condition, path, startup, epoch, logger };
  };
  try {
    tx.run(() => {
      state.write({
        firmware: startup.firmware,
        settings: startup.settings,
        envSnapshot: envSnapshotOf(config),
        ota: startup.ota,
        epoch: epoch.epoch,
        epochReason: epoch.reason,
        seqNext: epoch.seqNext,
        cleanStop: false,
      });
      imported = outbox.importLegacy(legacy.outbox.readings);
    });
  } catch (error) {
    if (storageFailure(error) === null) throw error;
    // "Not stopped cleanly" is not on disk: continuing the epoch could hand out its seqs twice after a crash.
    if (epoch.continued) {
      epoch = { epoch: newEpoch(), reason: 'state_lost', seqNext: 0, continued: false };
      outbox = begin(epoch);
    }
    logger.error(
      { err: describeStorageError(error), epoch: epoch.epoch },
      `The start of this run could not be written (${describeStorageError(error)}): epoch ${epoch.epoch} (${epoch.reason}) is used, its readings held in memory until the database accepts writes; the previous release's files, if any, are imported at a later start.`,
    );
    return finish();
  }
  if (legacy.state.found || legacy.outbox.found) {
    await removeLegacyFiles(dir).catch((error: unknown) => {
      logger.warn(
        { err: (error as Error).message },
        "The previous release's files could not be removed; they are read again at the next start (their readings may then be delivered twice).",
      );
    });
    if (legacyState) {
      logger.info(
        { imported, skipped: legacy.outbox.skipped, dropped: legacy.outbox.dropped },
        `Imported the previous release's state and ${imported} queued reading(s) (delivered first, without epoch, as that release wrote them); removed its files.`,
      );
    } else {
      logger.info(
        { imported },
        `Removed the previous release's files (${imported} reading(s) not yet imported were added).`,
      );
    }
  }
  return finish();
}

interface Legacy {
  state: LegacyState;
  outbox: LegacyOutbox;
}

/** The previous release's state and outbox, if they are there; unusable ones are logged and moved aside. */
async function readLegacy(
  dir: string,
  max: number,
  opened: OpenedDatabase,
  logger: Logger,
  now: Date,
): Promise<Legacy> {
  if (opened.condition === 'memory') {
    return {
      state: { found: false, facts: null, problem: null },
      outbox: { found: false, readings: [], skipped: 0, dropped: 0, problem: null },
    };
  }
  const state = await readLegacyState(dir);
  const outbox = await readLegacyOutbox(dir, max);
  for (const [file, problem] of [
    [LEGACY_STATE_FILE, state.problem],
    [LEGACY_OUTBOX_FILE, outbox.problem],
  ] as const) {
    if (!problem) continue;
    const movedTo = await moveLegacyAside(dir, file, now).catch(() => null);
    logger.warn(
      { file, problem, moved_to: movedTo },
      `The previous release's ${file} is not usable (${problem}); ${movedTo ? `moved it aside to ${movedTo}` : 'left it in place'} and went on without it.`,
    );
  }
  if (outbox.skipped > 0 || outbox.dropped > 0) {
    logger.warn(
      { skipped: outbox.skipped, dropped: outbox.dropped, max },
      `The previous release's outbox had ${outbox.skipped} unreadable line(s) (skipped) and ${outbox.dropped} reading(s) beyond OUTBOX_MAX (the oldest, left out).`,
    );
  }
  return { state, outbox };
}

function logEpoch(logger: Logger, epoch: EpochDecision, path: string): void {
  const fields = { epoch: epoch.epoch, epoch_reason: epoch.reason, seq_next: epoch.seqNext, database: path };
  if (epoch.continued) {
    logger.info(
      fields,
      `Epoch ${epoch.epoch} continues at seq ${epoch.seqNext} (the last run stopped cleanly).`,
    );
    return;
  }
  const why = {
    first_start: 'no state was found (a first start, or a DATA_DIR that was emptied)',
    upgrade: "the previous release's state was imported (its seq had gaps and no epoch)",
    state_lost: 'the stored state was lost or could not be used',
    unclean_stop: 'the last run did not stop cleanly (a power cut, a kill)',
  }[epoch.reason];
  const level = epoch.reason === 'state_lost' || epoch.reason === 'unclean_stop' ? 'warn' : 'info';
  logger[level](fields, `New epoch ${epoch.epoch} (${epoch.reason}): ${why}; seq starts at 0.`);
}

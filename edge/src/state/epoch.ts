import { randomBytes } from 'node:crypto';
import type { EpochReason } from '@fleet/shared';

/** A new storage epoch: 16 random hex digits. */
export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

/** The epoch a start counts readings in, and, when it is a new one, why. */
export interface EpochDecision {
  epoch: string;
  /** Why the epoch began (kept while it lasts, and sent in every status). */
  reason: EpochReason;
  /** The seq of the next reading. */
  seqNext: number;
  /** True when this start continues the epoch of the last run (a clean stop). */
  continued: boolean;
}

export interface EpochInputs {
  /** The epoch of the last run with its seq and whether it stopped cleanly, or null when there is none. */
  previous: { epoch: string; epochReason: EpochReason; seqNext: number; cleanStop: boolean } | null;
  /** Why there is no previous epoch, when the state was there but is lost: damaged, unreadable, not valid. */
  lost: boolean;
  /** The previous release (contract 1) ran here: its state file was imported. */
  upgraded: boolean;
}

/**
 * A clean stop continues the epoch and its seq. Otherwise a new epoch begins, seq from 0: `unclean_stop` (the
 * last run did not stop cleanly: a power cut, a SIGKILL, readings may have been taken that were not kept),
 * `state_lost` (a state was there but could not be used), `upgrade` (the previous release's state was
 * imported: its seq had gaps and no epoch), or `first_start` (nothing at all, which a purged DATA_DIR also
 * looks like).
 */
export function decideEpoch(inputs: EpochInputs, makeEpoch: () => string = newEpoch): EpochDecision {
  const { previous } = inputs;
  if (previous?.cleanStop) {
    return {
      epoch: previous.epoch,
      reason: previous.epochReason,
      seqNext: previous.seqNext,
      continued: true,
    };
  }
  let reason: EpochReason;
  if (previous) reason = 'unclean_stop';
  else if (inputs.lost) reason = 'state_lost';
  else if (inputs.upgraded) reason = 'upgrade';
  else reason = 'first_start';
  return { epoch: makeEpoch(), reason, seqNext: 0, continued: false };
}

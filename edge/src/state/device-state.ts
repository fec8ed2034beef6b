import {
  calibrationSchema,
  EPOCH_REASONS,
  epochSchema,
  firmwareVersionSchema,
  intervalSchema,
  modeSchema,
  otaSchema,
  settingsSchema,
  thresholdSchema,
} from '@fleet/shared';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { Transactor } from '../storage/transactor.js';

/**
 * The values the environment gave at the last start, to tell later whether a variable was changed. The
 * calibration is absent from a snapshot an earlier release wrote.
 */
export const envSnapshotSchema = z.object({
  firmware: firmwareVersionSchema,
  mode: modeSchema,
  intervalle: intervalSchema,
  seuil_alerte: thresholdSchema,
  ...calibrationSchema.partial().shape,
});
export type EnvSnapshot = z.infer<typeof envSnapshotSchema>;

/** What commands and updates changed, kept across restarts (and imported from the previous release). */
export const deviceFactsSchema = z.object({
  /** The firmware version running (changed by a successful OTA update, in the same write as its status). */
  firmware: firmwareVersionSchema,
  /** The settings as commands last left them (without the calibration when an earlier release wrote them). */
  settings: settingsSchema,
  envSnapshot: envSnapshotSchema,
  /** The last OTA status, or null when no update ever ran. */
  ota: otaSchema.nullable(),
});
export type DeviceFacts = z.infer<typeof deviceFactsSchema>;

/** Everything the edge keeps in the `state` table of its database. */
export const persistedStateSchema = deviceFactsSchema.extend({
  /** The storage epoch readings are counted in (16 hex digits), and why it began. */
  epoch: epochSchema,
  epochReason: z.enum(EPOCH_REASONS),
  /** The seq the next reading of this epoch gets: readings are numbered 0, 1, 2, … without gaps. */
  seqNext: z.number().int().min(0),
  /** False from the start until a clean stop; false at the next start means the last run ended uncleanly. */
  cleanStop: z.boolean(),
});
export type PersistedState = z.infer<typeof persistedStateSchema>;

export interface LoadedState {
  /** The state, or null when there is none or it is not valid. */
  state: PersistedState | null;
  /** Why a state that is there was not usable (e.g. a field of the wrong form), or null. */
  problem: string | null;
}

/**
 * The device's state, one row per field in the `state` table. A write holds only the fields it changes, in
 * the caller's transaction: a write that fails leaves the database as it was, and since nothing is kept aside
 * for later, no later write carries the failed change.
 */
export class StateStore {
  private readonly upsert: Database.Statement<[string, string]>;

  constructor(private readonly tx: Transactor) {
    this.upsert = tx.db.prepare(
      'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  load(): LoadedState {
    const rows = this.tx.db.prepare('SELECT key, value FROM state').all() as Array<{
      key: string;
      value: string;
    }>;
    if (rows.length === 0) return { state: null, problem: null };
    const raw: Record<string, unknown> = {};
    for (const row of rows) {
      try {
        raw[row.key] = JSON.parse(row.value) as unknown;
      } catch {
        return { state: null, problem: `field "${row.key}" is not JSON` };
      }
    }
    const parsed = persistedStateSchema.safeParse(raw);
    if (parsed.success) return { state: parsed.data, problem: null };
    const issue = parsed.error.issues[0];
    return { state: null, problem: `field "${issue?.path.join('.')}": ${issue?.message}` };
  }

  /** Writes the fields of `patch` (in the running transaction, or in one of its own); throws when it fails. */
  write(patch: Partial<PersistedState>): void {
    this.tx.run(() => {
      for (const [key, value] of Object.entries(patch)) {
        if (value !== undefined) this.upsert.run(key, JSON.stringify(value));
      }
    });
  }
}

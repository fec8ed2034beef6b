import type { Ack, Availability, DeviceStatus, Logger } from '@fleet/shared';
import type { CommandLogEntry, DeliveryFigures, StoredReading } from '../api-types.js';
import type { CommandTrail } from '../commands/command-trail.js';
import type { Fleet } from '../fleet/fleet.js';
import type { FleetDraft } from '../fleet/fleet-draft.js';
import type { RegistryWriter } from '../fleet/registry-writer.js';
import type { ReadingStore } from '../storage/reading-store.js';
import type { ReadingToWrite, WriteOutcome } from '../storage/reading-writer.js';
import type { TelemetryStore } from '../storage/telemetry-store.js';

/**
 * One valid message from a device, with the time it was received (epoch ms, the dashboard's clock); a
 * reading also with the time it is filed under (trusted_at, epoch ms).
 */
export type IngestChange =
  | { kind: 'data'; reading: StoredReading; receivedAt: number; trustedAt: number }
  | { kind: 'status'; status: DeviceStatus; retained: boolean; receivedAt: number }
  | { kind: 'ack'; ack: Ack; receivedAt: number }
  | {
      kind: 'availability';
      deviceId: string;
      availability: Availability;
      retained: boolean;
      receivedAt: number;
    };

export interface ChangeWriterDeps {
  store: Pick<TelemetryStore, 'transaction' | 'writeReadings' | 'deliveryOf'>;
  fleet: Pick<Fleet, 'draft' | 'adopt'>;
  /** Persists the registry rows the committed groups changed, at most once a second per device. */
  registry: Pick<RegistryWriter, 'changed'>;
  trail: Pick<CommandTrail, 'answer' | 'announce'>;
  logger: Logger;
}

interface Conflict {
  reading: StoredReading;
  stored: StoredReading;
  fields: string[];
}

/** What one committed group did, for the effects that follow the commit. */
export interface WrittenGroup {
  draft: FleetDraft;
  delivery: Map<string, DeliveryFigures>;
  answers: CommandLogEntry[];
  conflicts: Conflict[];
}

/**
 * Writes a group of messages in one SQLite transaction: each reading by its identity with its delivery counts
 * (once per device and epoch), and the command trail's answers (the SQLite trail, answering synchronously). Throws (and writes nothing) when the
 * database fails; the fleet in memory is untouched until `applyWritten`. The registry rows the group
 * changes are written later (RegistryWriter): they can be rebuilt from the readings (RegistryRecovery).
 */
export function writeChanges(deps: ChangeWriterDeps, changes: readonly IngestChange[]): WrittenGroup {
  return deps.store.transaction(() => {
    const readings = readingsOf(changes);
    const outcomes = readings.length > 0 ? deps.store.writeReadings(readings) : [];
    const { readers, acks, ...group } = draftGroup(deps, changes, outcomes);
    const answers: CommandLogEntry[] = [];
    for (const ack of acks) {
      const answered = deps.trail.answer(ack, { announce: false });
      if (answered instanceof Promise) {
        throw new Error('The SQLite ingest needs the SQLite command trail (answered in its transaction).');
      }
      if (answered) answers.push(answered);
    }
    return { ...group, answers, delivery: deps.store.deliveryOf([...readers]) };
  });
}

/**
 * The same with the readings in PostgreSQL (DATABASE_URL): the group's readings and their delivery counts in
 * one PostgreSQL transaction, committed first; then the command trail's answers (one statement each, in
 * PostgreSQL too). Resolves once both are committed (the PUBACKs wait for it). Should an answer fail, the
 * group is tried again whole and its readings, already stored, count as duplicates: stored once, but not
 * announced; an answer written already is not written twice (a row is answered once).
 */
export async function writeChangesTo(
  readingStore: Pick<ReadingStore, 'writeReadings' | 'deliveryOf'>,
  deps: ChangeWriterDeps,
  changes: readonly IngestChange[],
): Promise<WrittenGroup> {
  const readings = readingsOf(changes);
  const outcomes = readings.length > 0 ? await readingStore.writeReadings(readings) : [];
  const { readers, acks, ...group } = draftGroup(deps, changes, outcomes);
  const answers: CommandLogEntry[] = [];
  for (const ack of acks) {
    const answered = await deps.trail.answer(ack, { announce: false });
    if (answered) answers.push(answered);
  }
  return { ...group, answers, delivery: await readingStore.deliveryOf([...readers]) };
}

function readingsOf(changes: readonly IngestChange[]): ReadingToWrite[] {
  const readings: ReadingToWrite[] = [];
  for (const change of changes) if (change.kind === 'data') readings.push(change);
  return readings;
}

/** The fleet's draft for a group whose readings had these outcomes, and the acks for the trail. */
function draftGroup(
  deps: ChangeWriterDeps,
  changes: readonly IngestChange[],
  outcomes: readonly WriteOutcome[],
): Omit<WrittenGroup, 'delivery' | 'answers'> & { readers: Set<string>; acks: Ack[] } {
  let next = 0;
  const draft = deps.fleet.draft();
  const readers = new Set<string>();
  const acks: Ack[] = [];
  const conflicts: Conflict[] = [];
  for (const change of changes) {
    switch (change.kind) {
      case 'data': {
        const { reading } = change;
        const outcome = outcomes[next++];
        if (!outcome || outcome.kind === 'duplicate') break;
        readers.add(reading.device_id);
        if (outcome.kind === 'stored' || outcome.kind === 'restamped')
          draft.telemetry(reading, change.receivedAt);
        else conflicts.push({ reading, stored: outcome.stored, fields: outcome.fields });
        break;
      }
      case 'status':
        draft.status(change.status, change.receivedAt, change.retained);
        break;
      case 'availability':
        draft.availability(change.deviceId, change.availability, change.receivedAt, change.retained);
        break;
      case 'ack': {
        draft.ack(change.ack, change.receivedAt);
        acks.push(change.ack);
        break;
      }
    }
  }
  return { draft, readers, acks, conflicts };
}

/**
 * After the commit: conflicts logged, the fleet updated and announced (and its changed rows handed to the
 * registry writer), the trail's answers announced.
 */
export function applyWritten(deps: ChangeWriterDeps, written: WrittenGroup): void {
  for (const { reading, stored, fields } of written.conflicts) {
    const pick = (source: StoredReading) =>
      Object.fromEntries(fields.map((field) => [field, source[field as keyof StoredReading] ?? null]));
    deps.logger.warn(
      {
        device_id: reading.device_id,
        epoch: reading.epoch ?? '',
        seq: reading.seq,
        fields,
        stored: pick(stored),
        received: pick(reading),
      },
      `A reading arrived again with other content (${fields.join(', ')}); the first one is kept and the conflict counted`,
    );
  }
  deps.fleet.adopt(written.draft, written.delivery);
  deps.registry.changed(written.draft.records);
  for (const entry of written.answers) deps.trail.announce(entry);
}

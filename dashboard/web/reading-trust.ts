import { CONFLICT_MEANING, count, showDelivery } from './delivery.js';
import { byId, setText } from './dom.js';
import { fullTime, relativeTime } from './format.js';
import type { DeviceSummary, EpochReason, StoredReading } from './types.js';

/** Why a device began a new count of its readings, in words; null for the reasons that need no note. */
const EPOCH_NOTES: Record<EpochReason, string | null> = {
  first_start: null,
  upgrade: null,
  unclean_stop:
    'Restarted after an unclean stop (a power cut or a crash): the device began a new count of its readings.',
  state_lost:
    'Its saved state was lost (a purged or new data volume): the device began a new count of its readings.',
};

/**
 * How far the selected device's readings can be trusted: the age of its latest reading (by the time the
 * dashboard files it under), readings received and lost, and notes when readings were lost or conflicted,
 * when its clock is not set, and when it began a new count of its readings after an unclean stop or lost
 * state.
 */
export class ReadingTrust {
  private readonly latest: HTMLElement;
  private readonly delivery: HTMLElement;
  private readonly notes: HTMLElement;
  private readonly lostNote: HTMLElement;
  private readonly lostText: HTMLElement;
  private readonly conflictNote: HTMLElement;
  private readonly conflictText: HTMLElement;
  private readonly clockNote: HTMLElement;
  private readonly epochNote: HTMLElement;
  private readonly epochText: HTMLElement;
  private reading: StoredReading | null = null;

  constructor(
    private readonly doc: Document,
    private readonly now: () => number,
  ) {
    this.latest = byId(doc, 'fact-latest');
    this.delivery = byId(doc, 'fact-delivery');
    this.notes = byId(doc, 'device-notes');
    this.lostNote = byId(doc, 'note-lost');
    this.lostText = byId(doc, 'note-lost-text');
    this.conflictNote = byId(doc, 'note-conflicts');
    this.conflictText = byId(doc, 'note-conflicts-text');
    this.clockNote = byId(doc, 'note-clock');
    this.epochNote = byId(doc, 'note-epoch');
    this.epochText = byId(doc, 'note-epoch-text');
  }

  show(device: DeviceSummary): void {
    this.reading = device.latest;
    this.latest.title = this.latestTitle(device.latest);
    showDelivery(this.doc, this.delivery, device.delivery);

    const { lost, conflicts } = device.delivery;
    this.lostNote.hidden = lost === 0;
    if (lost > 0) {
      setText(
        this.lostText,
        `${count(lost, 'reading', 'readings')} the device took never reached the dashboard (found as gaps ` +
          'in the numbers it gives its readings).',
      );
    }
    this.conflictNote.hidden = conflicts === 0;
    if (conflicts > 0) {
      setText(this.conflictText, `${count(conflicts, 'conflict', 'conflicts')}: ${CONFLICT_MEANING}`);
    }
    this.clockNote.hidden = device.clock_synced !== false;
    const epochNote = device.epoch_reason ? EPOCH_NOTES[device.epoch_reason] : null;
    this.epochNote.hidden = epochNote === null;
    if (epochNote) setText(this.epochText, epochNote);
    this.notes.hidden = [this.lostNote, this.conflictNote, this.clockNote, this.epochNote].every(
      (note) => note.hidden,
    );
    this.tick();
  }

  /** Refreshes the latest reading's age. */
  tick(): void {
    setText(this.latest, this.reading ? relativeTime(this.reading.trusted_at, this.now()) : '—');
  }

  private latestTitle(reading: StoredReading | null): string {
    if (!reading) return 'No reading yet';
    const lines = [
      `Filed under ${fullTime(reading.trusted_at)}`,
      `Received ${fullTime(reading.received_at)}`,
    ];
    if (reading.timestamp !== reading.trusted_at) {
      lines.push(`The device's clock said ${fullTime(reading.timestamp)}`);
    }
    return lines.join('\n');
  }
}

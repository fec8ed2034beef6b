/**
 * The on-disk format of the outbox: JSON lines, appended in order.
 * - a reading:  the Telemetry object itself, `{"device_id":…,"seq":42,…}`
 * - a removal:  `{"removed":[42,43]}` — acknowledged by the broker, or dropped because the outbox was full
 * Replaying the lines in order gives the queue. A line that is not JSON (torn by a power cut) is skipped.
 */

export type LogRecord = { kind: 'reading'; seq: number; line: string } | { kind: 'removal'; seqs: number[] };

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

export function removalLine(seqs: readonly number[]): string {
  return `${JSON.stringify({ removed: seqs })}\n`;
}

/** Reads one line; null when it is not a record of the outbox (torn, or not ours). */
export function parseLogLine(line: string): LogRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.removed)) {
    return record.removed.every(isSeq) ? { kind: 'removal', seqs: record.removed } : null;
  }
  if (isSeq(record.seq) && typeof record.device_id === 'string') {
    return { kind: 'reading', seq: record.seq, line };
  }
  return null;
}

export interface ParsedLog {
  records: LogRecord[];
  /** Lines that could not be read, with their 1-based line number. */
  badLines: number[];
  /** True when the text ends with a complete line (or is empty). */
  endsCleanly: boolean;
}

export function parseLog(text: string): ParsedLog {
  const lines = text.split('\n');
  const records: LogRecord[] = [];
  const badLines: number[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const record = parseLogLine(line);
    if (record) records.push(record);
    else badLines.push(index + 1);
  });
  return { records, badLines, endsCleanly: text === '' || text.endsWith('\n') };
}

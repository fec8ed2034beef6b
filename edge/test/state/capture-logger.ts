import type { Logger } from '@fleet/shared';
import { pino } from 'pino';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A real pino logger whose JSON lines are kept in `lines`, so tests can check what was logged. */
export function captureLogger(): { logger: Logger; lines: LogLine[]; at: (level: number) => LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines, at: (level) => lines.filter((line) => line.level === level) };
}

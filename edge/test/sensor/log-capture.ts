import type { Logger } from '@fleet/shared';
import { pino } from 'pino';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A real pino logger whose JSON lines are kept in memory, for assertions on what was logged. */
export function captureLogger(): {
  logger: Logger;
  lines: LogLine[];
  at: (level: keyof typeof LEVELS) => LogLine[];
} {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'trace' },
    { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines, at: (level) => lines.filter((line) => line.level === LEVELS[level]) };
}

import { type Logger, pino } from 'pino';
import type { LogLevel } from './env-config.js';

export type { Logger } from 'pino';

/** JSON lines on stdout, one logger per service; `bindings` are added to every line (e.g. device_id). */
export function createLogger(
  service: string,
  level: LogLevel,
  bindings: Record<string, unknown> = {},
): Logger {
  return pino({ level, base: { service, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}

import { COMMAND_TTL_DEFAULT_S } from './limits.js';
import type { Command } from './messages.js';

/**
 * The sentence saying that a command has expired, or null when it may still be applied: a command that
 * waited days for an offline device is not applied whenever the device comes back. It expires `ttl_s`
 * seconds (COMMAND_TTL_DEFAULT_S when absent) after its `issued_at`. A command without `issued_at` (from an
 * older sender) never expires, nor does any command while `clockSynced` is false: a device whose clock is
 * not set cannot tell its age.
 */
export function commandExpiry(command: Command, now: Date, clockSynced: boolean): string | null {
  if (command.issued_at === undefined || !clockSynced) return null;
  const ttl = command.ttl_s ?? COMMAND_TTL_DEFAULT_S;
  const ageS = Math.floor((now.getTime() - Date.parse(command.issued_at)) / 1000);
  if (ageS <= ttl) return null;
  return `The command was issued at ${command.issued_at}, ${ageS} s ago; it expired after ${ttl} s (${command.ttl_s === undefined ? 'the default time to live' : 'its ttl_s'}), so nothing was changed.`;
}

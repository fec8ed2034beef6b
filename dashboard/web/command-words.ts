import { modeLabel } from './format.js';
import type { CommandLogEntry, CommandOutcomeName, Mode } from './types.js';

type Describe = (value: unknown) => string;

/** Each field a command may carry, in the order the page names them. */
const FIELDS: [string, Describe][] = [
  ['update_firmware', (value) => `Firmware update → ${String(value)}`],
  ['read_now', () => 'Read now'],
  ['mode', (value) => `Mode → ${modeLabel(value as Mode)}`],
  ['intervalle', (value) => `Interval → ${String(value)} s`],
  ['seuil_alerte', (value) => `Alert threshold → ${String(value)} °C`],
  ['actif', (value) => `Active → ${value ? 'on' : 'off'}`],
  ['correction_temperature', (value) => `Temperature offset → ${String(value)} °C`],
  ['correction_humidite', (value) => `Humidity offset → ${String(value)} %RH`],
  ['correction_pression', (value) => `Pressure offset → ${String(value)} hPa`],
  ['altitude', (value) => `Altitude → ${String(value)} m`],
];
const KNOWN = new Set(FIELDS.map(([name]) => name));

/** What a command asked, in words: "Interval → 2 s", "Firmware update → v1.1.0", "Read now". */
export function describeCommand(command: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [name, describe] of FIELDS) {
    if (command[name] !== undefined) parts.push(describe(command[name]));
  }
  for (const [name, value] of Object.entries(command)) {
    if (!KNOWN.has(name) && value !== undefined) parts.push(`${name} → ${JSON.stringify(value)}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'Empty command';
}

const OUTCOMES: Record<CommandOutcomeName, string> = {
  applied: 'Applied',
  rejected: 'Rejected',
  no_answer: 'No answer yet',
  not_sent: 'Not sent',
};

/** The outcome's short label, and the sentence under it (the device's reason, or why it was not sent). */
export function describeOutcome(entry: CommandLogEntry): { label: string; detail: string } {
  const label = OUTCOMES[entry.outcome] ?? entry.outcome;
  if (entry.outcome === 'rejected') return { label, detail: entry.error ?? 'The device gave no reason.' };
  if (entry.outcome === 'not_sent') return { label, detail: entry.error ?? '' };
  return { label, detail: '' };
}

/** "alice", "token ci-bot", or "anonymous" on a dashboard without logins. */
export function describeSender(by: CommandLogEntry['by']): string {
  if (by.kind === 'token') return `token ${by.name}`;
  if (by.kind === 'anonymous') return 'anonymous';
  return by.name;
}

import type { Mode, OtaStateName, SensorStatus } from './types.js';

const MODE_LABELS: Record<Mode, string> = { auto: 'Auto', manuel: 'Manual', economie: 'Economy' };

export function modeLabel(mode: Mode): string {
  return MODE_LABELS[mode] ?? mode;
}

const OTA_LABELS: Record<OtaStateName, string> = {
  idle: 'Idle',
  downloading: 'Downloading',
  verifying: 'Verifying',
  installing: 'Installing',
  rebooting: 'Rebooting',
  succeeded: 'Succeeded',
  failed: 'Failed',
};

export function otaStateLabel(state: OtaStateName): string {
  return OTA_LABELS[state] ?? state;
}

/** "just now", "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "never" without a time. */
export function relativeTime(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'unknown';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 3) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A date and time in the reader's locale, for tooltips. */
export function fullTime(iso: string | null): string {
  if (!iso) return 'Never seen';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

export function uptimeLabel(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min`;
  return `${s} s`;
}

export function sensorLabel(sensor: SensorStatus): string {
  const chip = sensor.source === 'synthetic' ? 'Synthetic sensor' : sensor.source.toUpperCase();
  const where = sensor.address
    ? ` at ${sensor.address}${sensor.bus === null ? '' : ` on bus ${sensor.bus}`}`
    : '';
  return `${chip}${where}`;
}

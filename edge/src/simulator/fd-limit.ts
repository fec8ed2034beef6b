import { readFileSync } from 'node:fs';

/** File descriptors the process needs besides its devices' sockets (stdio, the event loop, DNS, …). */
const SPARE = 64;

/** This process's limit of open files (the soft limit, which Node raises to the hard one at start), or null when unknown. */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | null {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft === undefined) return null;
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
  } catch {
    return null;
  }
}

/** Whether `devices` sockets fit under `limit`. */
export function fitsUnder(limit: number | null, devices: number): boolean {
  return limit === null || devices + SPARE <= limit;
}

/** What to do about a limit of open files too low for `devices` connections, in one sentence. */
export function fdLimitAdvice(limit: number | null, devices: number): string {
  const wanted = Math.ceil((devices + SPARE) / 1024) * 1024;
  return `${devices} devices need about ${devices + SPARE} open files (one socket each), and this process may open ${limit ?? 'an unknown number'}: raise the limit before starting (ulimit -n ${wanted}, or LimitNOFILE in a systemd unit; a hard limit needs root or /etc/security/limits.conf), and the broker's too (Mosquitto's max_connections and its own open-files limit).`;
}

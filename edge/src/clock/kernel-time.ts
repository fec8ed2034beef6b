import { execFile } from 'node:child_process';

/** Debian's `adjtimex` (package adjtimex, installed in the edge image): reads the kernel's NTP state. */
export const ADJTIMEX_COMMAND = '/sbin/adjtimex';
/** STA_UNSYNC in the kernel's timex status: set while no time daemon keeps the clock synchronised. */
export const STA_UNSYNC = 0x40;
/**
 * NTP_PHASE_LIMIT in microseconds: the kernel lets `maxerror` grow up to it when nothing disciplines the
 * clock, and a time daemon (chrony, systemd-timesyncd) keeps it far below while it keeps the clock right.
 */
export const MAXERROR_LIMIT_US = 16_000_000;

export interface KernelTimeState {
  /** The kernel's timex status bits (STA_*). */
  status: number;
  /** The kernel's maximum error estimate, in microseconds. */
  maxerrorUs: number;
  /** STA_UNSYNC clear and maxerror below 16 s. */
  synced: boolean;
}

/** Reads `adjtimex --print`'s `status:` and `maxerror:` lines; null when either is missing. */
export function parseAdjtimexPrint(text: string): KernelTimeState | null {
  const field = (name: string): number | null => {
    const match = new RegExp(`^\\s*${name}:\\s*(-?\\d+)\\s*$`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  };
  const status = field('status');
  const maxerrorUs = field('maxerror');
  if (status === null || maxerrorUs === null) return null;
  return { status, maxerrorUs, synced: (status & STA_UNSYNC) === 0 && maxerrorUs < MAXERROR_LIMIT_US };
}

/**
 * The kernel's NTP state through `adjtimex --print`. Unprivileged (it only reads), and not namespaced: in a
 * balena container it is the host's, whose chrony sets it. Rejects with a sentence when the command is
 * missing, fails, or prints something else.
 */
export function readKernelTimeState(command = ADJTIMEX_COMMAND, timeoutMs = 2_000): Promise<KernelTimeState> {
  return new Promise((resolve, reject) => {
    execFile(command, ['--print'], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        reject(
          new Error(
            code === 'ENOENT'
              ? `${command} is not installed`
              : `${command} --print failed: ${error.message.split('\n')[0]}`,
          ),
        );
        return;
      }
      const state = parseAdjtimexPrint(stdout);
      if (state) resolve(state);
      else reject(new Error(`${command} --print gave no status and maxerror lines`));
    });
  });
}

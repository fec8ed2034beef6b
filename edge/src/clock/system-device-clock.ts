import type { Logger } from '@fleet/shared';
import type { ClockFloor } from './clock-floor.js';
import { type KernelTimeState, readKernelTimeState } from './kernel-time.js';
import { monotonicNowMs } from './monotonic.js';
import type { DeviceClock } from './types.js';

export const CLOCK_SYNC_SOURCES = ['auto', 'kernel', 'floor'] as const;
export type ClockSyncSource = (typeof CLOCK_SYNC_SOURCES)[number];

/** How synchronisation is being judged right now. */
export type ClockSyncVia = 'kernel' | 'floor';

export interface SystemDeviceClockOptions {
  source: ClockSyncSource;
  floor: ClockFloor;
  logger: Logger;
  /** The kernel's NTP state; `adjtimex --print` by default. */
  readKernel?: () => Promise<KernelTimeState>;
  /** The wall clock; `new Date()` by default. */
  wall?: () => Date;
  /** Milliseconds from CLOCK_MONOTONIC (since boot); process.hrtime by default. */
  monotonic?: () => number;
  /** How often the state is checked (and a change logged) without being asked; default 10 s. */
  checkEveryMs?: number;
  /** A kernel reading older than this is refreshed in the background when `synced()` is asked; default 2 s. */
  kernelMaxAgeMs?: number;
  /** How often, while synchronised, the floor file is brought up to date; default 10 minutes. */
  recordEveryMs?: number;
}

/**
 * The edge's clock. `now()` is the wall clock, `monotonicMs()` CLOCK_MONOTONIC (durations never jump when the
 * wall clock is set), and `synced()` says whether the wall clock can be trusted, judged by CLOCK_SYNC_SOURCE:
 *
 * - `kernel`: the kernel's NTP state (`adjtimex --print`): synchronised when STA_UNSYNC (0x40) is clear and
 *   maxerror is below 16 s. In a balena container this is the host's state, set by balenaOS's chrony (the
 *   read needs no privilege and the kernel's time state is not namespaced). When adjtimex is missing or
 *   fails, the clock counts as not synchronised.
 * - `floor`: synchronised when the wall clock is later than the floor (the later of the firmware's release
 *   date and the last wall time this device saw while synchronised). Catches a Pi that starts in 1970 or at
 *   its image's date; cannot catch a clock restored from a recent save that is still behind.
 * - `auto` (default): `kernel` when adjtimex answers at start (the edge image installs it), else `floor`
 *   (npm start on a laptop without adjtimex); a kernel read that fails later falls back to the floor.
 *
 * The state is checked every `checkEveryMs` and before each reading (kernel answers are cached for
 * `kernelMaxAgeMs`); each change is logged at info.
 */
export class SystemDeviceClock implements DeviceClock {
  private readonly log: Logger;
  private readonly wall: () => Date;
  private readonly monotonic: () => number;
  private readonly readKernel: () => Promise<KernelTimeState>;
  private via: ClockSyncVia;
  private kernel: KernelTimeState | null = null;
  /** When the kernel was last asked (answered or not), on the monotonic clock. */
  private kernelAskedAtMs: number | null = null;
  private kernelFailure: string | null = null;
  private refreshing: Promise<void> | null = null;
  private current: boolean | null = null;
  private lastRecordMs: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly listeners: Array<(synced: boolean) => void> = [];

  constructor(private readonly options: SystemDeviceClockOptions) {
    this.log = options.logger.child({ component: 'clock' });
    this.wall = options.wall ?? (() => new Date());
    this.monotonic = options.monotonic ?? monotonicNowMs;
    this.readKernel = options.readKernel ?? (() => readKernelTimeState());
    this.via = options.source === 'floor' ? 'floor' : 'kernel';
  }

  now(): Date {
    return this.wall();
  }

  monotonicMs(): number {
    return this.monotonic();
  }

  /** How synchronisation is judged now: the kernel's NTP state, or the floor. */
  get judgedBy(): ClockSyncVia {
    return this.via;
  }

  synced(): boolean {
    if (this.via === 'kernel') {
      const asked = this.kernelAskedAtMs;
      const stale = asked === null || this.monotonic() - asked > (this.options.kernelMaxAgeMs ?? 2_000);
      if (stale) void this.refresh();
      return this.current ?? false;
    }
    return this.evaluate();
  }

  /** Called with the new state on each change synchronised ⇄ not synchronised. */
  onChange(listener: (synced: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Loads the floor, asks the kernel once (in `auto`, decides between kernel and floor), logs what is in use. */
  async start(): Promise<void> {
    await this.options.floor.load();
    if (this.options.source !== 'floor') await this.refresh();
    if (this.options.source === 'auto' && this.via === 'floor') {
      this.log.info(
        { reason: this.kernelFailure },
        `the kernel's NTP state cannot be read (${this.kernelFailure}); the clock counts as synchronised once it is later than ${this.options.floor.value.toISOString()}`,
      );
    }
    const synced = this.via === 'floor' ? this.evaluate() : (this.current ?? false);
    this.log.info(
      {
        clock_sync_source: this.options.source,
        judged_by: this.via,
        synced,
        now: this.wall().toISOString(),
        floor: this.options.floor.value.toISOString(),
        kernel: this.kernel ? { status: this.kernel.status, maxerror_us: this.kernel.maxerrorUs } : null,
      },
      `clock: ${synced ? 'synchronised' : 'not synchronised'}, judged by ${this.via === 'kernel' ? "the kernel's NTP state (adjtimex)" : 'the floor'} (CLOCK_SYNC_SOURCE=${this.options.source})`,
    );
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs ?? 10_000);
    this.timer.unref();
  }

  /** Stops the checks; keeps the last synchronised wall time for the next start. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.refreshing;
    if (this.current) await this.options.floor.record(this.wall());
  }

  /** One periodic check: the kernel asked again, or the floor compared. */
  async check(): Promise<void> {
    if (this.via === 'kernel' || this.options.source === 'auto') await this.refresh();
    else this.evaluate();
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.askKernel().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async askKernel(): Promise<void> {
    if (this.options.source === 'floor') return;
    try {
      const state = await this.readKernel().finally(() => {
        this.kernelAskedAtMs = this.monotonic();
      });
      this.kernel = state;
      if (this.kernelFailure !== null && this.current !== null) {
        this.log.info(
          { status: state.status, maxerror_us: state.maxerrorUs },
          "the kernel's NTP state can be read again",
        );
      }
      this.kernelFailure = null;
      this.via = 'kernel';
      this.set(state.synced);
    } catch (error) {
      const first = this.kernelFailure === null;
      this.kernelFailure = (error as Error).message;
      this.kernel = null;
      if (this.options.source === 'kernel') {
        if (first) {
          this.log.warn(
            { err: this.kernelFailure },
            `the kernel's NTP state cannot be read (${this.kernelFailure}); with CLOCK_SYNC_SOURCE=kernel the clock counts as not synchronised`,
          );
        }
        this.set(false);
        return;
      }
      // auto: the floor judges until the kernel answers again.
      if (first && this.current !== null) {
        this.log.warn(
          { err: this.kernelFailure },
          `the kernel's NTP state cannot be read any more (${this.kernelFailure}); the floor judges the clock meanwhile`,
        );
      }
      this.via = 'floor';
      this.evaluate();
    }
  }

  /** The floor's judgement, applied. */
  private evaluate(): boolean {
    const synced = this.wall() >= this.options.floor.value;
    this.set(synced);
    return synced;
  }

  private set(synced: boolean): void {
    const previous = this.current;
    this.current = synced;
    if (synced) this.recordFloor();
    if (previous === null || previous === synced) return;
    const now = this.wall().toISOString();
    this.log.info(
      { synced, now, judged_by: this.via },
      synced
        ? `the clock is synchronised now (${now}): readings carry clock_synced true`
        : `the clock is no longer synchronised (${now}): readings carry clock_synced false`,
    );
    for (const listener of this.listeners) listener(synced);
  }

  /** Brings the floor file up to date at the first synchronised moment, then every `recordEveryMs`. */
  private recordFloor(): void {
    const nowMs = this.monotonic();
    if (this.lastRecordMs !== null && nowMs - this.lastRecordMs < (this.options.recordEveryMs ?? 600_000))
      return;
    this.lastRecordMs = nowMs;
    void this.options.floor.record(this.wall());
  }
}

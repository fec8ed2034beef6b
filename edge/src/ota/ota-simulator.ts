import {
  ACCEPTED,
  type Clock,
  describeValue,
  FIRMWARE_VERSION_PATTERN,
  type Logger,
  type OtaStateName,
  type OtaStatus,
  systemClock,
} from '@fleet/shared';
import { failsHealthCheck, idleOtaStatus, interruptedOtaStatus, isOtaRunning } from './ota-status.js';

export interface OtaSimulatorOptions {
  /** The firmware version running now. */
  currentVersion: string;
  logger: Logger;
  /** Called on every change of the status: each state and each progress step (to publish it). */
  onChange: (ota: OtaStatus) => void;
  /**
   * Writes a new state of the update together with the firmware version running with it, in one write;
   * throws when it cannot. `succeeded` is announced only once it is written with the new version.
   */
  persist: (ota: OtaStatus, firmware: string) => void;
  /** Milliseconds per step (default 400): the whole update takes 20 steps, about 8 s. */
  stepMs?: number;
  /** The status to report at start, e.g. the persisted one; an update left under way is reported failed. */
  initial?: OtaStatus | null;
  clock?: Clock;
}

export const DEFAULT_OTA_STEP_MS = 400;
/** Progress added per download step: 0, 10, …, 100. */
const DOWNLOAD_STEP = 10;
/** How many steps each phase after the download lasts. */
const PHASE_STEPS: Partial<Record<OtaStateName, number>> = { verifying: 2, installing: 3, rebooting: 4 };

/**
 * A simulated firmware update: downloading (progress 0 → 100 in steps of 10), verifying, installing,
 * rebooting, then succeeded — or failed. A target whose pre-release tag starts with "fail"
 * (`v1.1.0-fail`) fails its health check after the reboot, and the device rolls back to the version it had.
 *
 * Each state (not each progress step) is written with `persist`, the firmware version in the same write: the
 * new version and `succeeded` together, so a power cut never leaves one without the other. An intermediate
 * state that cannot be written is logged once and the update goes on (after a restart an update under way is
 * reported interrupted anyway); a `succeeded` that cannot be written turns into `failed`, still on the old
 * version.
 *
 * Timers start in `start()` and stop in `stop()`; the constructor does nothing but set the status.
 */
export class OtaSimulator {
  private readonly logger: Logger;
  private readonly onChange: (ota: OtaStatus) => void;
  private readonly persist: (ota: OtaStatus, firmware: string) => void;
  private readonly stepMs: number;
  private readonly clock: Clock;
  private version: string;
  private current: OtaStatus;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by stop() and start(), so a step scheduled by an older run does nothing. */
  private run = 0;
  /** Set once a state of the running update could not be written, so it is logged once. */
  private persistFailed = false;

  constructor(options: OtaSimulatorOptions) {
    this.logger = options.logger;
    this.onChange = options.onChange;
    this.persist = options.persist;
    this.stepMs = options.stepMs ?? DEFAULT_OTA_STEP_MS;
    this.clock = options.clock ?? systemClock;
    this.version = options.currentVersion;
    const now = this.clock.now();
    this.current = options.initial
      ? interruptedOtaStatus(options.initial, this.version, now)
      : idleOtaStatus(now);
  }

  get status(): OtaStatus {
    return { ...this.current };
  }

  /** True from `start()` until the update succeeded or failed. */
  get running(): boolean {
    return isOtaRunning(this.current.state);
  }

  /** The firmware version running now: the target once an update succeeded. */
  get currentVersion(): string {
    return this.version;
  }

  /**
   * The one-sentence error when an update to `target` cannot start, or null when it can. Changes
   * nothing: call it before applying any part of a command.
   */
  check(target: string): string | null {
    const received = describeValue(target);
    if (typeof target !== 'string' || !FIRMWARE_VERSION_PATTERN.test(target)) {
      return `Field "update_firmware" received ${received}; accepted: ${ACCEPTED.update_firmware}.`;
    }
    if (this.running) {
      return `Field "update_firmware" received ${received}; accepted: no new update while ${this.current.target_version} is installing.`;
    }
    if (target === this.version) {
      return `Field "update_firmware" received ${received}; accepted: a version different from the running one (${this.version}).`;
    }
    return null;
  }

  /**
   * The status an update to `target` starts with (`downloading`), without starting it; throws with the
   * sentence of `check()` when it cannot start. Write it (e.g. with the command that asks for the update),
   * then `start()` it.
   */
  plan(target: string, commandId: string | null): OtaStatus {
    const error = this.check(target);
    if (error) throw new Error(error);
    return {
      state: 'downloading',
      progress: 0,
      target_version: target,
      previous_version: this.version,
      error: null,
      command_id: commandId,
      updated_at: this.clock.now().toISOString(),
    };
  }

  /** Runs an update from its planned (and written) first status. */
  start(planned: OtaStatus): void {
    this.run += 1;
    this.persistFailed = false;
    const before = this.current.state;
    this.current = { ...planned };
    this.announce(before);
    this.schedule(1);
  }

  /** Plans, writes and starts an update; throws when it cannot start or its first state cannot be written. */
  begin(target: string, commandId: string | null): void {
    const planned = this.plan(target, commandId);
    this.persist(planned, this.version);
    this.start(planned);
  }

  /** Clears the timers. An update under way stays in its state; after a restart it is reported failed. */
  stop(): void {
    this.run += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(steps: number): void {
    const run = this.run;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (run === this.run) this.advance();
    }, steps * this.stepMs);
  }

  private advance(): void {
    const { state, progress } = this.current;
    if (state === 'downloading' && progress < 100) {
      this.change({ progress: Math.min(100, progress + DOWNLOAD_STEP) });
      this.schedule(1);
    } else if (state === 'downloading') {
      this.enter('verifying');
    } else if (state === 'verifying') {
      this.enter('installing');
    } else if (state === 'installing') {
      this.enter('rebooting');
    } else if (state === 'rebooting') {
      this.finish();
    }
  }

  private enter(state: OtaStateName): void {
    this.change({ state });
    this.schedule(PHASE_STEPS[state] ?? 1);
  }

  /** After the reboot: the health check, then the new version is kept (written with `succeeded`) or rolled back. */
  private finish(): void {
    const target = this.current.target_version ?? '';
    const previous = this.current.previous_version ?? this.version;
    if (failsHealthCheck(target)) {
      this.change({
        state: 'failed',
        error: `${target} failed its health check after reboot; rolled back to ${previous}.`,
      });
      return;
    }
    const succeeded = this.next({ state: 'succeeded', error: null });
    try {
      this.persist(succeeded, target);
    } catch (error) {
      this.change({
        state: 'failed',
        error: `${target} could not be recorded as installed (${(error as Error).message}); rolled back to ${previous}.`,
      });
      return;
    }
    this.version = target;
    this.apply(succeeded);
  }

  private next(patch: Partial<OtaStatus>): OtaStatus {
    return { ...this.current, ...patch, updated_at: this.clock.now().toISOString() };
  }

  /** Moves to the next status; a new state is written first (best effort: see the class comment). */
  private change(patch: Partial<OtaStatus>): void {
    const next = this.next(patch);
    if (next.state !== this.current.state) {
      try {
        this.persist(next, this.version);
      } catch (error) {
        if (!this.persistFailed) {
          this.persistFailed = true;
          this.logger.warn(
            { err: (error as Error).message, state: next.state },
            `The OTA state ${next.state} could not be saved (${(error as Error).message}); the update goes on, and a restart before it ends reports it interrupted.`,
          );
        }
      }
    }
    this.apply(next);
  }

  private apply(next: OtaStatus): void {
    const before = this.current.state;
    this.current = next;
    this.announce(before);
  }

  /** Logs (a new state at info, progress at debug) and reports the current status. */
  private announce(before: OtaStateName): void {
    const ota = this.status;
    if (ota.state !== before) {
      this.logger.info(
        { ota },
        `OTA ${ota.target_version}: ${ota.state}${ota.error ? ` (${ota.error})` : ''}`,
      );
    } else {
      this.logger.debug({ ota }, `OTA ${ota.target_version}: ${ota.state} ${ota.progress}%`);
    }
    this.onChange(ota);
  }
}

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
  /** Called on every change of the status: each state and each progress step. */
  onChange: (ota: OtaStatus) => void;
  /** Called once the new version is installed and healthy, before `succeeded` is announced: persist it. */
  onInstalled: (version: string) => Promise<void> | void;
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
 * Timers start in `begin()` and stop in `stop()`; the constructor does nothing but set the status.
 */
export class OtaSimulator {
  private readonly logger: Logger;
  private readonly onChange: (ota: OtaStatus) => void;
  private readonly onInstalled: (version: string) => Promise<void> | void;
  private readonly stepMs: number;
  private readonly clock: Clock;
  private version: string;
  private current: OtaStatus;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by stop() and begin(), so a step scheduled by an older run does nothing. */
  private run = 0;

  constructor(options: OtaSimulatorOptions) {
    this.logger = options.logger;
    this.onChange = options.onChange;
    this.onInstalled = options.onInstalled;
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

  /** True from `begin()` until the update succeeded or failed. */
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

  /** Starts the update; throws with the sentence of `check()` when it cannot start. */
  begin(target: string, commandId: string | null): void {
    const error = this.check(target);
    if (error) throw new Error(error);
    this.run += 1;
    this.change({
      state: 'downloading',
      progress: 0,
      target_version: target,
      previous_version: this.version,
      error: null,
      command_id: commandId,
    });
    this.schedule(1);
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
      if (run === this.run) void this.advance(run);
    }, steps * this.stepMs);
  }

  private async advance(run: number): Promise<void> {
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
      await this.finish(run);
    }
  }

  private enter(state: OtaStateName): void {
    this.change({ state });
    this.schedule(PHASE_STEPS[state] ?? 1);
  }

  /** After the reboot: the health check, then the new version is kept or rolled back. */
  private async finish(run: number): Promise<void> {
    const target = this.current.target_version ?? '';
    const previous = this.current.previous_version ?? this.version;
    if (failsHealthCheck(target)) {
      this.change({
        state: 'failed',
        error: `${target} failed its health check after reboot; rolled back to ${previous}.`,
      });
      return;
    }
    try {
      await this.onInstalled(target);
    } catch (error) {
      if (run !== this.run) return;
      this.change({
        state: 'failed',
        error: `${target} could not be recorded as installed (${(error as Error).message}); rolled back to ${previous}.`,
      });
      return;
    }
    if (run !== this.run) return;
    this.version = target;
    this.change({ state: 'succeeded', error: null });
  }

  private change(patch: Partial<OtaStatus>): void {
    const before = this.current.state;
    this.current = { ...this.current, ...patch, updated_at: this.clock.now().toISOString() };
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

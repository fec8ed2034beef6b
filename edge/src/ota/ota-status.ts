import type { OtaStateName, OtaStatus } from '@fleet/shared';

/** The states in which an update is under way; anything else is at rest. */
export const OTA_RUNNING_STATES: readonly OtaStateName[] = [
  'downloading',
  'verifying',
  'installing',
  'rebooting',
];

export function isOtaRunning(state: OtaStateName): boolean {
  return OTA_RUNNING_STATES.includes(state);
}

/** No update has run yet. */
export function idleOtaStatus(now: Date): OtaStatus {
  return {
    state: 'idle',
    progress: 0,
    target_version: null,
    previous_version: null,
    error: null,
    command_id: null,
    updated_at: now.toISOString(),
  };
}

/**
 * The documented way to make an update fail: a target whose pre-release tag starts with "fail"
 * (e.g. `v1.1.0-fail`, `v2.0.0-failing.1`) fails its health check after the reboot.
 */
export function failsHealthCheck(version: string): boolean {
  const dash = version.indexOf('-');
  return (
    dash >= 0 &&
    version
      .slice(dash + 1)
      .toLowerCase()
      .startsWith('fail')
  );
}

/**
 * An update that was under way when the service stopped cannot resume: it is reported as failed,
 * still on the version that was running. A status at rest is returned unchanged.
 */
export function interruptedOtaStatus(ota: OtaStatus, runningVersion: string, now: Date): OtaStatus {
  if (!isOtaRunning(ota.state)) return ota;
  const target = ota.target_version ?? 'the update';
  return {
    ...ota,
    state: 'failed',
    error: `${target} was interrupted by a restart; still running ${runningVersion}.`,
    updated_at: now.toISOString(),
  };
}

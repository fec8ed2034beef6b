import { FIRMWARE_VERSION_PATTERN } from '@fleet/shared';

/**
 * Orders firmware versions (`v1.2.3`, `v1.2.3-beta.1`) as semantic versions: by major, minor and patch, and a
 * pre-release below its release (pre-release tags compared as text).
 */
export function compareFirmware(a: string, b: string): number {
  const parse = (version: string) => {
    const [core = '', pre = ''] = version.slice(1).split(/-(.*)/s);
    return { numbers: core.split('.').map(Number), pre };
  };
  const left = parse(a);
  const right = parse(b);
  for (let index = 0; index < 3; index += 1) {
    const difference = (left.numbers[index] ?? 0) - (right.numbers[index] ?? 0);
    if (difference !== 0) return difference;
  }
  if (left.pre === right.pre) return 0;
  if (left.pre === '') return 1;
  if (right.pre === '') return -1;
  return left.pre < right.pre ? -1 : 1;
}

/**
 * The firmware Home Assistant offers each device: HA_LATEST_FIRMWARE when set (the release the operator
 * decided to roll out), else the newest version running anywhere in the fleet, so that a device left behind
 * shows an update to what its siblings run; null when no device has said its version.
 */
export function latestFirmware(configured: string | null, running: Iterable<string | null>): string | null {
  if (configured !== null) return configured;
  let newest: string | null = null;
  for (const version of running) {
    if (version === null || !FIRMWARE_VERSION_PATTERN.test(version)) continue;
    if (newest === null || compareFirmware(version, newest) > 0) newest = version;
  }
  return newest;
}

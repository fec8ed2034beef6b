import type { Clock, OtaStatus } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OtaSimulator, type OtaSimulatorOptions } from '../../src/ota/ota-simulator.js';
import { failsHealthCheck } from '../../src/ota/ota-status.js';
import { captureLogger, LEVEL } from '../state/capture-logger.js';

const STEP = 400;
/** 10 download steps, then verifying 2, installing 3, rebooting 4, then the result: 20 steps. */
const WHOLE_UPDATE_MS = 20 * STEP;

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2024-06-01T12:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

const clock: Clock = { now: () => new Date() };

function simulator(options: Partial<OtaSimulatorOptions> = {}) {
  const changes: OtaStatus[] = [];
  /** Each write: the state and the firmware written with it. */
  const written: Array<[string, string]> = [];
  const log = captureLogger();
  const ota = new OtaSimulator({
    currentVersion: 'v1.0.0',
    logger: log.logger,
    onChange: (status) => changes.push(status),
    persist: (status, firmware) => {
      written.push([status.state, firmware]);
    },
    stepMs: STEP,
    clock,
    ...options,
  });
  return { ota, changes, written, ...log };
}

const statesOf = (changes: OtaStatus[]) =>
  changes.map((change) => change.state).filter((state, i, all) => state !== all[i - 1]);

describe('OtaSimulator success', () => {
  it('starts idle and changes nothing until begin()', () => {
    const { ota, changes } = simulator();
    expect(ota.status).toMatchObject({ state: 'idle', progress: 0, target_version: null, error: null });
    expect(ota.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(changes).toEqual([]);
  });

  it('goes through every state to succeeded, and the new version is then the running one', async () => {
    const { ota, changes, written } = simulator();
    ota.begin('v1.1.0', 'cmd-1');
    expect(ota.running).toBe(true);
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(statesOf(changes)).toEqual(['downloading', 'verifying', 'installing', 'rebooting', 'succeeded']);
    expect(ota.status).toMatchObject({
      state: 'succeeded',
      progress: 100,
      target_version: 'v1.1.0',
      previous_version: 'v1.0.0',
      error: null,
      command_id: 'cmd-1',
    });
    // Each state written once, the new version in the same write as succeeded.
    expect(written).toEqual([
      ['downloading', 'v1.0.0'],
      ['verifying', 'v1.0.0'],
      ['installing', 'v1.0.0'],
      ['rebooting', 'v1.0.0'],
      ['succeeded', 'v1.1.0'],
    ]);
    expect(ota.currentVersion).toBe('v1.1.0');
    expect(ota.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('takes about 8 s: not finished one step before', async () => {
    const { ota } = simulator();
    ota.begin('v1.1.0', null);
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS - STEP);
    expect(ota.status.state).toBe('rebooting');
    await vi.advanceTimersByTimeAsync(STEP);
    expect(ota.status.state).toBe('succeeded');
  });

  it('reports download progress from 0 to 100, never going back', async () => {
    const { ota, changes } = simulator();
    ota.begin('v1.1.0', null);
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    const progress = changes.map((change) => change.progress);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(100);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] as number);
    const downloading = changes.filter((change) => change.state === 'downloading').map((c) => c.progress);
    expect(downloading).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('stamps each change with the clock', async () => {
    const { ota, changes } = simulator();
    ota.begin('v1.1.0', null);
    await vi.advanceTimersByTimeAsync(STEP);
    expect(changes.map((change) => change.updated_at)).toEqual([
      '2024-06-01T12:00:00.000Z',
      '2024-06-01T12:00:00.400Z',
    ]);
  });

  it('logs each state change at info, and progress at debug', async () => {
    const { ota, at } = simulator();
    ota.begin('v1.1.0', null);
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(at(LEVEL.info).map((line) => (line.ota as OtaStatus).state)).toEqual([
      'downloading',
      'verifying',
      'installing',
      'rebooting',
      'succeeded',
    ]);
    expect(at(LEVEL.debug)).toHaveLength(10);
  });

  it('writes succeeded with the new version before it announces success', async () => {
    const order: string[] = [];
    const { ota } = simulator({
      onChange: (status) => order.push(`announced ${status.state}`),
      persist: (status, firmware) => order.push(`wrote ${status.state} ${firmware}`),
    });
    ota.begin('v1.1.0', null);
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(order.slice(-2)).toEqual(['wrote succeeded v1.1.0', 'announced succeeded']);
  });

  it('plan() gives the first status and changes nothing; start() runs the update from it', async () => {
    const { ota, changes, written } = simulator();
    const planned = ota.plan('v1.1.0', 'cmd-9');
    expect(planned).toMatchObject({
      state: 'downloading',
      progress: 0,
      target_version: 'v1.1.0',
      previous_version: 'v1.0.0',
      command_id: 'cmd-9',
    });
    expect(ota.status.state).toBe('idle');
    expect(changes).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    ota.start(planned);
    expect(ota.status).toEqual(planned);
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(ota.status.state).toBe('succeeded');
    // start() does not write the first state again: the command wrote it.
    expect(written[0]).toEqual(['verifying', 'v1.0.0']);
  });

  it('goes on when an intermediate state cannot be written, and says so once', async () => {
    const { ota, at } = simulator({
      persist: (status) => {
        if (status.state !== 'succeeded') throw new Error('disk full');
      },
    });
    ota.start(ota.plan('v1.1.0', null));
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(ota.status.state).toBe('succeeded');
    const warnings = at(LEVEL.warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(
      /The OTA state verifying could not be saved \(disk full\); the update goes on/,
    );
  });

  it('allows a new update once the last one finished', async () => {
    const { ota } = simulator();
    ota.begin('v1.1.0', null);
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(ota.check('v1.0.0')).toBeNull();
    ota.begin('v1.0.0', 'back');
    expect(ota.status).toMatchObject({ state: 'downloading', progress: 0, previous_version: 'v1.1.0' });
  });
});

describe('OtaSimulator failure', () => {
  it('a "-fail" target fails its health check after reboot and rolls back', async () => {
    const { ota, changes, written } = simulator();
    ota.begin('v1.1.0-fail', 'cmd-2');
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(statesOf(changes)).toEqual(['downloading', 'verifying', 'installing', 'rebooting', 'failed']);
    expect(ota.status).toMatchObject({
      state: 'failed',
      target_version: 'v1.1.0-fail',
      previous_version: 'v1.0.0',
      error: 'v1.1.0-fail failed its health check after reboot; rolled back to v1.0.0.',
      command_id: 'cmd-2',
    });
    expect(written.at(-1)).toEqual(['failed', 'v1.0.0']);
    expect(ota.currentVersion).toBe('v1.0.0');
    expect(ota.running).toBe(false);
  });

  it('fails and rolls back when succeeded and the new version cannot be written', async () => {
    const { ota, changes } = simulator({
      persist: (status) => {
        if (status.state === 'succeeded') throw new Error('disk full');
      },
    });
    ota.begin('v1.2.0', null);
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(ota.status).toMatchObject({
      state: 'failed',
      error: 'v1.2.0 could not be recorded as installed (disk full); rolled back to v1.0.0.',
    });
    expect(ota.currentVersion).toBe('v1.0.0');
    expect(changes.some((change) => change.state === 'succeeded')).toBe(false);
  });

  it.each([
    ['v1.1.0-fail', true],
    ['v1.1.0-FAIL.2', true],
    ['v1.1.0-failing', true],
    ['v1.1.0', false],
    ['v1.1.0-beta', false],
    ['v1.1.0-beta.fail', false],
  ])('failsHealthCheck(%j) is %j', (version, expected) => {
    expect(failsHealthCheck(version)).toBe(expected);
  });
});

describe('OtaSimulator rejects what cannot start, changing nothing', () => {
  it('an invalid version', () => {
    const { ota, changes } = simulator();
    const error =
      'Field "update_firmware" received "1.1"; accepted: a version such as "v1.1.0" (v, then three numbers separated by dots, optionally "-tag").';
    expect(ota.check('1.1')).toBe(error);
    expect(() => ota.begin('1.1', null)).toThrow(error);
    expect(changes).toEqual([]);
    expect(ota.status.state).toBe('idle');
  });

  it('the running version', () => {
    const { ota, changes } = simulator();
    const error =
      'Field "update_firmware" received "v1.0.0"; accepted: a version different from the running one (v1.0.0).';
    expect(ota.check('v1.0.0')).toBe(error);
    expect(() => ota.begin('v1.0.0', null)).toThrow(error);
    expect(changes).toEqual([]);
  });

  it('a second update while one is running', async () => {
    const { ota, changes } = simulator();
    ota.begin('v1.1.0', 'first');
    await vi.advanceTimersByTimeAsync(5 * STEP);
    const before = ota.status;
    const count = changes.length;
    const error =
      'Field "update_firmware" received "v1.2.0"; accepted: no new update while v1.1.0 is installing.';
    expect(ota.check('v1.2.0')).toBe(error);
    expect(() => ota.begin('v1.2.0', 'second')).toThrow(error);
    expect(ota.status).toEqual(before);
    expect(changes).toHaveLength(count);
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(ota.status).toMatchObject({ state: 'succeeded', target_version: 'v1.1.0', command_id: 'first' });
  });

  it('accepts a valid different version', () => {
    expect(simulator().ota.check('v1.0.1')).toBeNull();
  });
});

describe('OtaSimulator lifecycle', () => {
  it('stop() clears the timers and freezes the update where it was', async () => {
    const { ota, changes } = simulator();
    ota.begin('v1.1.0', null);
    await vi.advanceTimersByTimeAsync(3 * STEP);
    ota.stop();
    expect(vi.getTimerCount()).toBe(0);
    const count = changes.length;
    await vi.advanceTimersByTimeAsync(WHOLE_UPDATE_MS);
    expect(changes).toHaveLength(count);
    expect(ota.status).toMatchObject({ state: 'downloading', progress: 30 });
  });

  it('reports an update left under way in `initial` as failed, still on the running version', () => {
    const initial: OtaStatus = {
      state: 'installing',
      progress: 100,
      target_version: 'v1.1.0',
      previous_version: 'v1.0.0',
      error: null,
      command_id: 'c',
      updated_at: '2024-05-31T00:00:00.000Z',
    };
    const { ota } = simulator({ initial });
    expect(ota.status).toMatchObject({
      state: 'failed',
      error: 'v1.1.0 was interrupted by a restart; still running v1.0.0.',
      updated_at: '2024-06-01T12:00:00.000Z',
    });
    expect(ota.running).toBe(false);
  });

  it('keeps an `initial` status at rest as it was', () => {
    const initial: OtaStatus = {
      state: 'succeeded',
      progress: 100,
      target_version: 'v1.0.0',
      previous_version: 'v0.9.0',
      error: null,
      command_id: null,
      updated_at: '2024-05-31T00:00:00.000Z',
    };
    expect(simulator({ initial }).ota.status).toEqual(initial);
  });

  it('gives copies of its status', () => {
    const { ota } = simulator();
    const status = ota.status;
    status.state = 'failed';
    expect(ota.status.state).toBe('idle');
  });
});

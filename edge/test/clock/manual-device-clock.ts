import type { DeviceClock } from '../../src/clock/types.js';

/**
 * A DeviceClock the test sets: the wall clock, the monotonic clock and the synchronised flag move only when
 * told. `advance(ms)` moves both clocks, as time passing does; `setWall()` moves the wall clock alone, as
 * setting the clock does.
 */
export class ManualDeviceClock implements DeviceClock {
  private wallMs: number;
  private monoMs: number;
  private isSynced: boolean;

  constructor(
    wall: Date | string = '2026-12-01T12:00:00.000Z',
    options: { synced?: boolean; monotonicMs?: number } = {},
  ) {
    this.wallMs = new Date(wall).getTime();
    this.monoMs = options.monotonicMs ?? 1_000_000;
    this.isSynced = options.synced ?? true;
  }

  now(): Date {
    return new Date(this.wallMs);
  }

  monotonicMs(): number {
    return this.monoMs;
  }

  synced(): boolean {
    return this.isSynced;
  }

  advance(ms: number): void {
    this.wallMs += ms;
    this.monoMs += ms;
  }

  setWall(wall: Date | string): void {
    this.wallMs = new Date(wall).getTime();
  }

  setSynced(synced: boolean): void {
    this.isSynced = synced;
  }
}

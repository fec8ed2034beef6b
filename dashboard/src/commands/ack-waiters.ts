import type { Ack } from '@fleet/shared';

type Settle = (ack: Ack | null) => void;

/** Commands that may wait for their ack at once (`POST /api/command?wait=N`); one more is answered 503. */
export const COMMAND_WAITS_MAX = 1000;

/** Commands waiting for their ack, by device and command id; at most `max` at once. */
export class AckWaiters {
  private readonly waiters = new Map<string, Set<Settle>>();
  private count = 0;

  constructor(readonly max = COMMAND_WAITS_MAX) {}

  /** True when no more command may wait now. */
  get full(): boolean {
    return this.count >= this.max;
  }

  /**
   * Starts waiting; call it before the command is published, so a fast ack is not missed. Resolves to the
   * ack, or to null after `timeoutMs` or on `cancel()`. The caller checks `full` first: past `max` this throws.
   */
  wait(
    deviceId: string,
    commandId: string,
    timeoutMs: number,
  ): { ack: Promise<Ack | null>; cancel: () => void } {
    if (this.full) throw new Error(`${this.max} commands are waiting for their ack already.`);
    const key = keyOf(deviceId, commandId);
    let settle: Settle = () => {};
    const ack = new Promise<Ack | null>((resolve) => {
      const timer = setTimeout(() => settle(null), timeoutMs);
      settle = (value) => {
        clearTimeout(timer);
        const set = this.waiters.get(key);
        if (set?.delete(settle)) this.count -= 1;
        if (set?.size === 0) this.waiters.delete(key);
        resolve(value);
      };
      const set = this.waiters.get(key) ?? new Set<Settle>();
      set.add(settle);
      this.count += 1;
      this.waiters.set(key, set);
    });
    return { ack, cancel: () => settle(null) };
  }

  /** An ack arrived: every command waiting for it gets it. */
  deliver(ack: Ack): void {
    if (ack.command_id === null) return;
    const set = this.waiters.get(keyOf(ack.device_id, ack.command_id));
    for (const settle of [...(set ?? [])]) settle(ack);
  }

  /** Commands waiting now. */
  get size(): number {
    return this.count;
  }

  /** Ends every wait with null (shutting down). */
  cancelAll(): void {
    for (const set of [...this.waiters.values()]) for (const settle of [...set]) settle(null);
  }
}

function keyOf(deviceId: string, commandId: string): string {
  return `${deviceId}\u0000${commandId}`;
}

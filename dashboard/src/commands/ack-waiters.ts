import type { Ack } from '@fleet/shared';

type Settle = (ack: Ack | null) => void;

/** Commands waiting for their ack, by device and command id. */
export class AckWaiters {
  private readonly waiters = new Map<string, Set<Settle>>();

  /**
   * Starts waiting; call it before the command is published, so a fast ack is not missed. Resolves to the
   * ack, or to null after `timeoutMs` or on `cancel()`.
   */
  wait(
    deviceId: string,
    commandId: string,
    timeoutMs: number,
  ): { ack: Promise<Ack | null>; cancel: () => void } {
    const key = keyOf(deviceId, commandId);
    let settle: Settle = () => {};
    const ack = new Promise<Ack | null>((resolve) => {
      const timer = setTimeout(() => settle(null), timeoutMs);
      settle = (value) => {
        clearTimeout(timer);
        const set = this.waiters.get(key);
        set?.delete(settle);
        if (set?.size === 0) this.waiters.delete(key);
        resolve(value);
      };
      const set = this.waiters.get(key) ?? new Set<Settle>();
      set.add(settle);
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
    let size = 0;
    for (const set of this.waiters.values()) size += set.size;
    return size;
  }

  /** Ends every wait with null (shutting down). */
  cancelAll(): void {
    for (const set of [...this.waiters.values()]) for (const settle of [...set]) settle(null);
  }
}

function keyOf(deviceId: string, commandId: string): string {
  return `${deviceId}\u0000${commandId}`;
}

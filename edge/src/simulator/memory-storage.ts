import type { Ack, EpochReason, Telemetry } from '@fleet/shared';
import type { DeviceStorage, TelemetryQueue } from '../device/ports.js';
import type { BuildReading, ReadingIdentity } from '../outbox/sqlite-outbox.js';
import { COMMAND_MEMORY_LIMIT } from '../state/command-memory.js';
import { newEpoch } from '../state/epoch.js';
import type { CommandChange, RememberedAck } from '../storage/edge-store.js';

/** Readings a simulated device holds at most while its broker is away; beyond, the oldest is dropped. */
export const MEMORY_OUTBOX_MAX = 1_000;

/**
 * The outbox of a simulated device: the readings not yet acknowledged, in memory, oldest first, at most
 * `max` (the oldest dropped and counted beyond that). Seq is contiguous within the epoch, as on a device.
 */
export class MemoryOutbox implements TelemetryQueue {
  private readonly items: Telemetry[] = [];
  private next = 0;
  /** Readings dropped because the outbox was full. */
  dropped = 0;

  constructor(
    readonly epoch: string,
    private readonly max: number = MEMORY_OUTBOX_MAX,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** Numbers a reading (the next seq of the epoch) and queues it. */
  add(build: BuildReading): Telemetry {
    const reading = build({ epoch: this.epoch, seq: this.next });
    this.next += 1;
    this.items.push(reading);
    if (this.items.length > this.max) {
      this.items.shift();
      this.dropped += 1;
    }
    return reading;
  }

  peek(n: number): Telemetry[] {
    return this.items.slice(0, n);
  }

  remove(delivered: readonly ReadingIdentity[]): void {
    if (delivered.length === 0) return;
    const gone = new Set(delivered.filter((item) => item.epoch === this.epoch).map((item) => item.seq));
    let kept = 0;
    for (const item of this.items) {
      if (!gone.has(item.seq)) this.items[kept++] = item;
    }
    this.items.length = kept;
  }
}

/**
 * Everything a simulated device keeps, in memory: the outbox and the acks of its last commands (the same bound
 * as on a device); settings and OTA status live in the Device itself, as no restart has to read them back.
 * Nothing survives the simulator's process: each run begins a new epoch
 * (`first_start`). The device's own storage is SQLite on disk (EdgeStore); this one costs a few kilobytes
 * per device instead of an open database, so that one process can hold thousands.
 */
export class MemoryStorage implements DeviceStorage {
  readonly outbox: MemoryOutbox;
  readonly epoch: { epoch: string; reason: EpochReason };
  private readonly acks = new Map<string, Ack>();

  constructor(options: { outboxMax?: number; epoch?: string } = {}) {
    const epoch = options.epoch ?? newEpoch();
    this.epoch = { epoch, reason: 'first_start' };
    this.outbox = new MemoryOutbox(epoch, options.outboxMax);
  }

  takeReading(build: BuildReading): Telemetry {
    return this.outbox.add(build);
  }

  applyCommand(change: CommandChange, remembered: RememberedAck | null): Telemetry | null {
    const reading = change.reading ? this.outbox.add(change.reading) : null;
    if (remembered) this.remember(remembered);
    return reading;
  }

  /** Nothing to keep: the OtaSimulator holds the status and the firmware for the run. */
  saveOta(): void {}

  recall(commandId: string): Ack | null {
    return this.acks.get(commandId) ?? null;
  }

  rememberRejection(remembered: RememberedAck): boolean {
    this.remember(remembered);
    return true;
  }

  close(): boolean {
    return true;
  }

  private remember({ commandId, ack }: RememberedAck): void {
    this.acks.delete(commandId);
    this.acks.set(commandId, ack);
    if (this.acks.size > COMMAND_MEMORY_LIMIT) {
      const oldest = this.acks.keys().next().value;
      if (oldest !== undefined) this.acks.delete(oldest);
    }
  }
}

import type { Logger, Telemetry } from '@fleet/shared';
import type { MessageLink } from '../mqtt/types.js';
import type { TelemetryQueue } from './ports.js';

const RETRY_AFTER_ERROR_MS = 1_000;

export interface TelemetryPublisherOptions {
  outbox: TelemetryQueue;
  link: MessageLink;
  /** `devices/{id}/data` */
  topic: string;
  logger: Logger;
  /** Messages published before waiting for their PUBACKs (default 8). They go out, and are removed, in order. */
  window?: number;
  /**
   * What a reading becomes as it goes out, e.g. re-stamped once the clock is synchronised (ReadingRestamper),
   * and told when the broker has it.
   */
  stamps?: {
    restamp(telemetry: Telemetry): Telemetry;
    forget(telemetry: Telemetry): void;
  };
}

/**
 * Drains the outbox to the broker, oldest first, while the link is up. A reading leaves the outbox only
 * once the broker acknowledged it (PUBACK); a connection lost in between leaves it queued, and mqtt.js
 * sends it again on reconnect. The acknowledged readings of a window are removed in one write.
 * `kick()` after every new reading; the link's reconnects kick it too.
 */
export class TelemetryPublisher {
  private readonly window: number;
  private draining: Promise<void> | null = null;
  private running = false;
  private delivered = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: TelemetryPublisherOptions) {
    this.window = Math.max(1, options.window ?? 8);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.options.link.onConnectionChange((connected) => {
      if (connected) this.kick();
    });
    this.kick();
  }

  /** Readings acknowledged by the broker since start. */
  get deliveredCount(): number {
    return this.delivered;
  }

  /** Starts draining unless it is already under way, stopped, or offline. */
  kick(): void {
    if (!this.running || this.draining || !this.options.link.connected) return;
    this.draining = this.drain().then(
      () => {
        this.draining = null;
        // Readings may have arrived while the last batch was in flight.
        if (this.options.outbox.size > 0) this.kick();
      },
      (error: unknown) => {
        this.draining = null;
        // Not a storage failure (the outbox absorbs those): try again a little later rather than in a tight loop.
        this.options.logger.warn(
          { err: (error as Error).message },
          'telemetry not delivered yet; retrying in 1 s',
        );
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.kick();
        }, RETRY_AFTER_ERROR_MS);
      },
    );
  }

  /**
   * Stops taking new messages from the outbox and waits (up to `timeoutMs`) for the ones in flight;
   * whatever is not acknowledged stays on disk for the next start.
   */
  async stop(timeoutMs = 2_000): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const draining = this.draining;
    if (!draining) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([draining, timeout]);
    clearTimeout(timer);
  }

  private async drain(): Promise<void> {
    const { outbox, link } = this.options;
    while (this.running && link.connected && outbox.size > 0) {
      const batch = outbox.peek(this.window);
      const acks = batch.map((item) => this.publish(item));
      const delivered: Telemetry[] = [];
      for (const [index, ack] of acks.entries()) {
        if (!(await ack)) break;
        delivered.push(batch[index] as Telemetry);
      }
      // Later ones of the batch settle on their own; they stay queued and go again next time.
      if (delivered.length < batch.length) await Promise.allSettled(acks);
      if (delivered.length > 0) {
        outbox.remove(delivered);
        for (const item of delivered) this.options.stamps?.forget(item);
        this.delivered += delivered.length;
      }
      if (delivered.length < batch.length) return;
    }
  }

  private async publish(item: Telemetry): Promise<boolean> {
    try {
      const stamped = this.options.stamps?.restamp(item) ?? item;
      await this.options.link.publish(this.options.topic, JSON.stringify(stamped));
      this.options.logger.debug({ seq: item.seq }, 'telemetry delivered');
      return true;
    } catch (error) {
      this.options.logger.debug({ seq: item.seq, err: (error as Error).message }, 'telemetry publish failed');
      return false;
    }
  }
}

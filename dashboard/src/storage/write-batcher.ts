export interface WriteBatcherOptions<T> {
  /** Writes a whole batch at once (one transaction); throws when nothing was written. */
  write: (items: T[]) => void;
  /** A batch is written as soon as it holds this many items… */
  batchSize: number;
  /** …or this long after its first item arrived. */
  intervalMs: number;
  /** After a failed write the items stay queued and are tried again this much later. */
  retryMs: number;
  /** Past this many queued items (a database that keeps failing), the oldest are dropped. */
  maxPending: number;
  onError: (error: unknown, pending: number) => void;
  onDrop: (dropped: number) => void;
}

/** Queues items and writes them in batches, so thousands of messages per second cost few transactions. */
export class WriteBatcher<T> {
  private queue: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private failing = false;

  constructor(private readonly options: WriteBatcherOptions<T>) {}

  get pending(): number {
    return this.queue.length;
  }

  add(item: T): void {
    this.queue.push(item);
    if (this.queue.length > this.options.maxPending) {
      const dropped = this.queue.length - this.options.maxPending;
      this.queue.splice(0, dropped);
      this.options.onDrop(dropped);
    }
    if (this.queue.length >= this.options.batchSize && !this.failing) this.flush();
    else this.schedule(this.options.intervalMs);
  }

  /** Writes everything queued now; true when the queue is empty afterwards. */
  flush(): boolean {
    this.clearTimer();
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.options.batchSize);
      try {
        this.options.write(batch);
      } catch (error) {
        this.failing = true;
        this.options.onError(error, this.queue.length);
        this.schedule(this.options.retryMs);
        return false;
      }
      this.failing = false;
      this.queue.splice(0, batch.length);
    }
    return true;
  }

  /** Stops the timer; queued items stay until the next flush. */
  stop(): void {
    this.clearTimer();
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

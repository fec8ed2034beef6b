/** One queued reading: its `seq` and its JSON line exactly as stored (without the newline). */
export interface QueuedLine {
  seq: number;
  line: string;
}

interface Slot extends QueuedLine {
  removed: boolean;
}

/**
 * The readings waiting for the broker, oldest first, held as their JSON lines (about 300 bytes each).
 * Removal by `seq` is O(1) wherever the reading sits; removed slots are skipped and the array is
 * trimmed from the front as the oldest readings leave.
 */
export class ReadingQueue {
  private slots: Slot[] = [];
  private head = 0;
  private readonly bySeq = new Map<number, Slot>();

  get size(): number {
    return this.bySeq.size;
  }

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /** Adds at the newest end; false (and nothing added) when `seq` is already queued. */
  push(seq: number, line: string): boolean {
    if (this.bySeq.has(seq)) return false;
    const slot: Slot = { seq, line, removed: false };
    this.slots.push(slot);
    this.bySeq.set(seq, slot);
    return true;
  }

  /** Removes the reading with this `seq`; false when it is not queued. */
  remove(seq: number): boolean {
    const slot = this.bySeq.get(seq);
    if (!slot) return false;
    slot.removed = true;
    this.bySeq.delete(seq);
    this.advance();
    return true;
  }

  /** Removes and gives the oldest reading, or undefined when empty. */
  shift(): QueuedLine | undefined {
    const slot = this.slots[this.head];
    if (!slot) return undefined;
    this.remove(slot.seq);
    return { seq: slot.seq, line: slot.line };
  }

  /** Up to `n` readings, oldest first. */
  peek(n: number): QueuedLine[] {
    const out: QueuedLine[] = [];
    for (let i = this.head; i < this.slots.length && out.length < n; i++) {
      const slot = this.slots[i];
      if (slot && !slot.removed) out.push({ seq: slot.seq, line: slot.line });
    }
    return out;
  }

  /** Every reading, oldest first. */
  lines(): string[] {
    return this.peek(Number.POSITIVE_INFINITY).map((item) => item.line);
  }

  /** Moves the head past removed slots; drops the dead front of the array once it is most of it. */
  private advance(): void {
    while (this.slots[this.head]?.removed) this.head += 1;
    if (this.head >= this.slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }
}

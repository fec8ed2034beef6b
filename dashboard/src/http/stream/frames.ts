/**
 * Builds the text of Server-Sent Events: the one place where an event's payload is serialised. It counts
 * what it builds, so that "serialised once for all its clients" can be checked.
 */
export class Frames {
  private count = 0;

  /** Frames built so far. */
  get built(): number {
    return this.count;
  }

  build(name: string, payload: unknown): string {
    this.count += 1;
    return `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
  }
}

import type { FleetEventData, FleetMode } from '../../api-types.js';
import type { Fleet } from '../../fleet/fleet.js';
import type { Frames } from './frames.js';

export type FleetFeedMode = Exclude<FleetMode, 'none'>;

export interface FleetFeedDeps {
  fleet: Pick<Fleet, 'counts' | 'rows' | 'row'>;
  frames: Frames;
  /** Least time between two `fleet` events (about a second). */
  intervalMs: number;
  /** Whether any client wants this mode now (nothing is built for a mode no one wants). */
  wanted(mode: FleetFeedMode): boolean;
  /** Sends one frame to every client of a mode. */
  send(mode: FleetFeedMode, text: string): void;
}

/**
 * The `fleet` event. Changed devices and forgotten ones are collected; at most once per interval, and only
 * when something changed, one event per mode is built (serialised once) for all the clients of that mode:
 * the counts, and with fleet=rows the changed rows and the ids forgotten (fleet=counts: only when the counts
 * changed). The first event of a new client is
 * full; it is built at most once per mode between two updates.
 */
export class FleetFeed {
  private readonly changed = new Set<string>();
  private readonly removed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private lastSent = Number.NEGATIVE_INFINITY;
  private running = false;
  /** The full event of each mode as of now (cleared at every update: the next update covers what follows). */
  private readonly full = new Map<FleetFeedMode, { text: string; counts: string }>();
  /**
   * The counts every client of fleet=counts was told last; null when they were not all told the same (one
   * got other counts in its first event): the next update is then sent even with counts unchanged.
   */
  private countsSent: string | null = null;

  constructor(private readonly deps: FleetFeedDeps) {}

  start(): void {
    this.running = true;
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A device changed (or appeared, or came back). */
  deviceChanged(deviceId: string): void {
    this.removed.delete(deviceId);
    this.changed.add(deviceId);
    this.schedule();
  }

  /** A device was forgotten. */
  deviceForgotten(deviceId: string): void {
    this.changed.delete(deviceId);
    this.removed.add(deviceId);
    this.schedule();
  }

  /** The first event of a new client of `mode`: the whole fleet. */
  fullFrame(mode: FleetFeedMode): string {
    let full = this.full.get(mode);
    if (full === undefined) {
      const payload: FleetEventData = { full: true, counts: this.deps.fleet.counts() };
      if (mode === 'rows') payload.rows = this.deps.fleet.rows();
      full = { text: this.deps.frames.build('fleet', payload), counts: JSON.stringify(payload.counts) };
      this.full.set(mode, full);
    }
    if (mode === 'counts' && full.counts !== this.countsSent) {
      this.countsSent = this.deps.wanted('counts') ? null : full.counts;
    }
    return full.text;
  }

  private schedule(): void {
    if (this.timer || !this.running) return;
    const wait = Math.max(0, this.lastSent + this.deps.intervalMs - Date.now());
    this.timer = setTimeout(() => this.update(), wait);
  }

  /** Sends what changed since the previous update. */
  update(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.changed.size === 0 && this.removed.size === 0) return;
    this.lastSent = Date.now();
    this.full.clear();
    const changed = [...this.changed].sort();
    const removed = [...this.removed].sort();
    this.changed.clear();
    this.removed.clear();
    const wantsRows = this.deps.wanted('rows');
    const wantsCounts = this.deps.wanted('counts');
    if (!wantsRows && !wantsCounts) return;
    const counts = this.deps.fleet.counts();
    if (wantsRows) {
      const rows = changed.flatMap((id) => this.deps.fleet.row(id) ?? []);
      const payload: FleetEventData = { full: false, counts, rows, removed };
      this.deps.send('rows', this.deps.frames.build('fleet', payload));
    }
    // With fleet=counts, something changed only when the counts did.
    const countsText = JSON.stringify(counts);
    if (wantsCounts && countsText !== this.countsSent) {
      this.countsSent = countsText;
      this.deps.send('counts', this.deps.frames.build('fleet', { full: false, counts }));
    }
  }
}

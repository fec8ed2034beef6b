import type { ApiClient } from './api.js';
import { describeWidth } from './chart-series.js';
import type { HistoryCharts } from './charts.js';
import { setText } from './dom.js';
import type { StoredReading } from './types.js';

export interface TimeRange {
  id: 'hour' | 'day' | 'week';
  label: string;
  ms: number;
  /**
   * Most points asked of the server for this range: readings when the range holds no more, else time
   * buckets (min, avg, max) of the width that gives at most this many.
   */
  limit: number;
}

export const RANGES: readonly TimeRange[] = [
  // About 1000 points a chart: an hour at a reading a second in 5-second buckets (a reading every 5 s or
  // less often comes whole), a day in 1-minute buckets, a week in 10-minute ones (a range not aligned on
  // buckets touches one more than it spans).
  { id: 'hour', label: 'last hour', ms: 3_600_000, limit: 1000 },
  { id: 'day', label: 'last 24 hours', ms: 86_400_000, limit: 1500 },
  { id: 'week', label: 'last 7 days', ms: 604_800_000, limit: 1050 },
];

const SLIDE_EVERY_MS = 10_000;

/**
 * The history section: which device and range are shown, fetching them from the server, and extending
 * the charts with live readings (those that arrive while a fetch is under way are kept and added after).
 */
export class HistoryPanel {
  private deviceId: string | null = null;
  private range: TimeRange = RANGES[0] as TimeRange;
  private loadToken = 0;
  private pending: StoredReading[] | null = null;
  private lastSlide = 0;

  constructor(
    private readonly api: { history: ApiClient['history'] },
    private readonly charts: HistoryCharts,
    private readonly rangeButtons: HTMLElement,
    private readonly status: HTMLElement,
    private readonly now: () => number,
    /** The "Download CSV" link: its address is made at the click, for the range shown then. */
    private readonly download: HTMLAnchorElement | null = null,
  ) {}

  start(): void {
    this.rangeButtons.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-range]');
      const range = RANGES.find((candidate) => candidate.id === button?.dataset.range);
      if (range && range !== this.range) {
        this.range = range;
        this.renderButtons();
        void this.load();
      }
    });
    this.renderButtons();
    this.download?.addEventListener('click', () => {
      if (this.download && this.deviceId) this.download.href = this.csvAddress(this.deviceId);
    });
  }

  /** `GET /api/devices/:id/history.csv` for the range the charts show now (they slide with the clock). */
  csvAddress(deviceId: string): string {
    const to = this.now();
    const query = new URLSearchParams({
      from: new Date(to - this.range.ms).toISOString(),
      to: new Date(to).toISOString(),
    });
    return `/api/devices/${encodeURIComponent(deviceId)}/history.csv?${query}`;
  }

  select(deviceId: string | null): void {
    if (deviceId === this.deviceId) return;
    this.deviceId = deviceId;
    if (this.download) {
      this.download.hidden = deviceId === null;
      if (deviceId) this.download.href = this.csvAddress(deviceId);
    }
    void this.load();
  }

  /**
   * Fetches the current range again (a stream opened: readings before it reached no stream of this page),
   * keeping the charts as they are until the answer replaces them.
   */
  reload(): void {
    void this.load(true);
  }

  onTelemetry(reading: StoredReading): void {
    if (reading.device_id !== this.deviceId) return;
    if (this.pending) {
      this.pending.push(reading);
      return;
    }
    this.charts.append(reading);
    this.showCount();
  }

  tick(): void {
    const now = this.now();
    if (now - this.lastSlide < SLIDE_EVERY_MS) return;
    this.lastSlide = now;
    this.charts.slideTo(now);
  }

  private renderButtons(): void {
    for (const button of this.rangeButtons.querySelectorAll<HTMLButtonElement>('button[data-range]')) {
      button.setAttribute('aria-pressed', String(button.dataset.range === this.range.id));
    }
  }

  /** Reads the range of the device shown; `keep`: what is drawn stays until the answer (the same device). */
  private async load(keep = false): Promise<void> {
    const token = ++this.loadToken;
    const deviceId = this.deviceId;
    const to = this.now();
    const from = to - this.range.ms;
    if (!deviceId) {
      this.charts.clear(from, to);
      this.pending = null;
      setText(this.status, '');
      return;
    }
    this.pending = [];
    if (!keep) {
      this.charts.clear(from, to);
      this.status.dataset.state = 'loading';
      setText(this.status, `Loading the ${this.range.label}…`);
    }
    try {
      const answer = await this.api.history(deviceId, new Date(from), new Date(to), this.range.limit);
      if (token !== this.loadToken) return;
      this.charts.show(answer, from, to);
      for (const reading of this.pending ?? []) this.charts.append(reading, true);
      this.pending = null;
      this.showCount();
    } catch (error) {
      if (token !== this.loadToken) return;
      this.pending = null;
      this.status.dataset.state = 'error';
      setText(
        this.status,
        `History could not be loaded (${(error as Error).message}). Live readings still appear.`,
      );
    }
  }

  private showCount(): void {
    const count = this.charts.count();
    const width = this.charts.bucketWidth();
    this.status.dataset.state = count === 0 ? 'empty' : 'ok';
    this.status.dataset.bucketMs = width === null ? '' : String(width);
    const buckets = width === null ? '' : ` · ${describeWidth(width)} averages, the band from min to max`;
    setText(
      this.status,
      count === 0
        ? `No readings in the ${this.range.label} yet.`
        : `${count.toLocaleString()} reading${count === 1 ? '' : 's'} in the ${this.range.label}${buckets}`,
    );
  }
}

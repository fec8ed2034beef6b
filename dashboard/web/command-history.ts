import type { ApiClient } from './api.js';
import { describeCommand, describeOutcome, describeSender } from './command-words.js';
import { h, setText } from './dom.js';
import { fullTime, relativeTime } from './format.js';
import type { CommandLogEntry } from './types.js';

const LIMIT = 20;

export interface CommandHistoryElements {
  list: HTMLElement;
  empty: HTMLElement;
  status: HTMLElement;
}

/**
 * The selected device's recent commands (the server's trail): who sent what and when, and what became of
 * it. Fetched when the selection changes, then kept current by the SSE `command` events (those that
 * arrive while a fetch is under way are applied after it).
 */
export class CommandHistory {
  private deviceId: string | null = null;
  private entries: CommandLogEntry[] = [];
  private pending: CommandLogEntry[] | null = null;
  private loadToken = 0;

  constructor(
    private readonly doc: Document,
    private readonly api: ApiClient,
    private readonly elements: CommandHistoryElements,
    private readonly now: () => number,
  ) {}

  select(deviceId: string | null): void {
    if (deviceId === this.deviceId) return;
    this.deviceId = deviceId;
    void this.load();
  }

  /** Fetches again (a stream opened), keeping the list shown until the answer replaces it. */
  reload(): void {
    void this.load(true);
  }

  /** Forgets everything shown (when the session ends). */
  clear(): void {
    this.deviceId = null;
    void this.load();
  }

  onCommand(entry: CommandLogEntry): void {
    if (entry.device_id !== this.deviceId) return;
    if (this.pending) {
      this.pending.push(entry);
      return;
    }
    this.merge([entry]);
    this.render();
  }

  /** Refreshes the relative times. */
  tick(): void {
    for (const time of this.elements.list.querySelectorAll<HTMLTimeElement>('time[datetime]')) {
      setText(time, relativeTime(time.dateTime, this.now()));
    }
  }

  private async load(keep = false): Promise<void> {
    const token = ++this.loadToken;
    const deviceId = this.deviceId;
    if (!keep || !deviceId) {
      this.entries = [];
      this.elements.list.replaceChildren();
      this.elements.empty.hidden = true;
    }
    if (!deviceId) {
      this.pending = null;
      this.showStatus('idle', '');
      return;
    }
    this.pending = [];
    if (!keep) this.showStatus('loading', 'Loading the recent commands…');
    try {
      const entries = await this.api.commands(deviceId, LIMIT);
      if (token !== this.loadToken) return;
      this.entries = entries;
      this.merge(this.pending ?? []);
      this.pending = null;
      this.render();
    } catch (error) {
      if (token !== this.loadToken) return;
      this.pending = null;
      this.showStatus('error', `The command history could not be loaded (${(error as Error).message}).`);
    }
  }

  /** Adds or replaces entries by command id, newest first, at most LIMIT. */
  private merge(updates: CommandLogEntry[]): void {
    for (const entry of updates) {
      const index = this.entries.findIndex((known) => known.command_id === entry.command_id);
      if (index >= 0) this.entries[index] = entry;
      else this.entries.push(entry);
    }
    this.entries.sort((a, b) => Date.parse(b.sent_at) - Date.parse(a.sent_at));
    this.entries.length = Math.min(this.entries.length, LIMIT);
  }

  private render(): void {
    const count = this.entries.length;
    this.elements.empty.hidden = count > 0;
    this.elements.list.replaceChildren(...this.entries.map((entry) => this.item(entry)));
    this.showStatus(
      'ok',
      count === 0 ? '' : count >= LIMIT ? `The ${LIMIT} most recent` : `${count} sent, newest first`,
    );
  }

  private item(entry: CommandLogEntry): HTMLElement {
    const d = this.doc;
    const { label, detail } = describeOutcome(entry);
    const answered = entry.answered_at ? ` · answered ${fullTime(entry.answered_at)}` : '';
    return h(
      d,
      'li',
      { class: 'command', 'data-outcome': entry.outcome, 'data-command-id': entry.command_id },
      h(
        d,
        'div',
        { class: 'command-row' },
        h(d, 'span', { class: 'command-what' }, describeCommand(entry.command)),
        h(d, 'span', { class: 'command-outcome', 'data-outcome': entry.outcome }, label),
      ),
      h(
        d,
        'p',
        { class: 'command-meta' },
        h(d, 'span', { class: 'command-by' }, describeSender(entry.by)),
        ' · ',
        h(
          d,
          'time',
          { datetime: entry.sent_at, title: `Sent ${fullTime(entry.sent_at)}${answered}` },
          relativeTime(entry.sent_at, this.now()),
        ),
      ),
      detail ? h(d, 'p', { class: 'command-detail' }, detail) : '',
    );
  }

  private showStatus(state: string, text: string): void {
    this.elements.status.dataset.state = state;
    setText(this.elements.status, text);
  }
}

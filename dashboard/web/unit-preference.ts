import { METRIC, parseChoice, type UnitChoice } from './units.js';

const KEY_PREFIX = 'sensor-fleet.units.';

/** The part of the browser's localStorage used here. */
export interface PreferenceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The signed-in user's choice of units, kept in this browser's localStorage under a key naming the user (so
 * two people sharing a browser each keep theirs): a display preference, with nothing on the server to
 * migrate or back up. A storage that refuses (private browsing, quota) keeps the choice for the page's life.
 */
export class UnitPreference {
  private user: string | null = null;
  private current: UnitChoice = METRIC;
  private readonly listeners: ((choice: UnitChoice) => void)[] = [];

  constructor(private readonly storage: PreferenceStorage | null) {}

  get choice(): UnitChoice {
    return this.current;
  }

  /** The user now signed in (null: none): their saved choice applies. */
  useFor(user: string | null): void {
    if (user === this.user) return;
    this.user = user;
    this.update(user === null ? METRIC : parseChoice(this.read(user)));
  }

  /** The user chose: saved for them, and shown at once. */
  set(change: Partial<UnitChoice>): void {
    const next = { ...this.current, ...change };
    if (this.user !== null) this.write(this.user, JSON.stringify(next));
    this.update(next);
  }

  subscribe(listener: (choice: UnitChoice) => void): void {
    this.listeners.push(listener);
  }

  private update(next: UnitChoice): void {
    if (next.temperature === this.current.temperature && next.pressure === this.current.pressure) return;
    this.current = next;
    for (const listener of this.listeners) listener(next);
  }

  private read(user: string): string | null {
    try {
      return this.storage?.getItem(KEY_PREFIX + user) ?? null;
    } catch {
      return null;
    }
  }

  private write(user: string, value: string): void {
    try {
      this.storage?.setItem(KEY_PREFIX + user, value);
    } catch {
      // Kept in memory only: the choice still applies until the page is closed.
    }
  }
}

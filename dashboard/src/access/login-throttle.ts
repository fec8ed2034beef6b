import type { Clock } from '@fleet/shared';

type MaybeAsync<T> = T | Promise<T>;

/** One user name's failed logins. */
export interface ThrottleEntry {
  /** Epoch ms of the failures since the last lock, within the window. */
  failures: number[];
  lockedUntil: number;
  /** Locks so far: the next one lasts firstLockMs × 2^lockouts. */
  lockouts: number;
  lastEvent: number;
}

/**
 * Where failed logins are counted: in memory (MemoryFailedLogins, one dashboard), or in PostgreSQL with
 * DATABASE_URL (PgFailedLogins), where every replica counts into the same row.
 */
export interface FailedLogins {
  get(username: string): MaybeAsync<ThrottleEntry | null>;
  /** Replaces the entry with `next(entry)`, atomically: no other change to this user name's entry between. */
  update(username: string, next: (entry: ThrottleEntry | null) => ThrottleEntry): MaybeAsync<ThrottleEntry>;
  delete(username: string): MaybeAsync<void>;
  /** Removes the entries with no lock and no event for `idleMs` (when the store sees fit: it may skip). */
  prune(now: number, idleMs: number): MaybeAsync<void>;
}

export interface LoginThrottleOptions {
  clock: Clock;
  /** Where the failures are counted (default: in memory, this dashboard only). */
  store?: FailedLogins;
  /** Failures within `windowMs` that lock the user name (default 10 in 15 minutes). */
  maxFailures?: number;
  windowMs?: number;
  /** The first lock; each further one lasts twice the one before, up to `maxLockMs` (60 s, 15 min). */
  firstLockMs?: number;
  maxLockMs?: number;
}

/** An entry with no lock and no failure for this long is forgotten (and with it the doubling). */
export const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;
const PRUNE_ABOVE = 1000;

/** Whether an entry is forgotten at `now`: no lock and no event for `idleMs`. */
export function isIdle(entry: ThrottleEntry, now: number, idleMs: number): boolean {
  return entry.lockedUntil <= now && now - Math.max(entry.lastEvent, entry.lockedUntil) > idleMs;
}

/** The failed logins of this dashboard, in memory. */
export class MemoryFailedLogins implements FailedLogins {
  private readonly entries = new Map<string, ThrottleEntry>();

  get(username: string): ThrottleEntry | null {
    return this.entries.get(username) ?? null;
  }

  update(username: string, next: (entry: ThrottleEntry | null) => ThrottleEntry): ThrottleEntry {
    const entry = next(this.entries.get(username) ?? null);
    this.entries.set(username, entry);
    return entry;
  }

  delete(username: string): void {
    this.entries.delete(username);
  }

  prune(now: number, idleMs: number): void {
    if (this.entries.size < PRUNE_ABOVE) return;
    for (const [name, entry] of this.entries) if (isIdle(entry, now, idleMs)) this.entries.delete(name);
  }

  /** User names being tracked now. */
  get size(): number {
    return this.entries.size;
  }
}

/**
 * Failed logins counted per user name (known or not): after `maxFailures` within `windowMs` the name is
 * locked, first for `firstLockMs`, each further lock twice as long up to `maxLockMs`. A successful login
 * clears the name. Time is the injected clock's. The answers are values with the memory store, promises with
 * PostgreSQL's.
 */
export class LoginThrottle {
  private readonly store: FailedLogins;
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly firstLockMs: number;
  private readonly maxLockMs: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.store = options.store ?? new MemoryFailedLogins();
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.firstLockMs = options.firstLockMs ?? 60_000;
    this.maxLockMs = options.maxLockMs ?? 15 * 60_000;
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }

  /** Milliseconds the user name stays locked; 0 when it may try now. */
  lockedFor(username: string): MaybeAsync<number> {
    const remaining = (entry: ThrottleEntry | null) =>
      entry ? Math.max(0, entry.lockedUntil - this.now()) : 0;
    const entry = this.store.get(username);
    return entry instanceof Promise ? entry.then(remaining) : remaining(entry);
  }

  /** A wrong password (or an unknown user); returns the lock it started in ms, or 0. */
  failed(username: string): MaybeAsync<number> {
    const now = this.now();
    let lockMs = 0;
    const next = (before: ThrottleEntry | null): ThrottleEntry => {
      lockMs = 0;
      const fresh = !before || isIdle(before, now, FORGET_AFTER_MS);
      const entry: ThrottleEntry = fresh
        ? { failures: [], lockedUntil: 0, lockouts: 0, lastEvent: now }
        : { ...before, failures: [...before.failures] };
      entry.failures = entry.failures.filter((time) => now - time < this.windowMs);
      entry.failures.push(now);
      entry.lastEvent = now;
      if (entry.failures.length >= this.maxFailures) {
        lockMs = Math.min(this.maxLockMs, this.firstLockMs * 2 ** entry.lockouts);
        entry.lockouts += 1;
        entry.lockedUntil = now + lockMs;
        entry.failures = [];
      }
      return entry;
    };
    const pruned = this.store.prune(now, FORGET_AFTER_MS);
    if (pruned instanceof Promise) {
      return pruned.then(async () => {
        await this.store.update(username, next);
        return lockMs;
      });
    }
    const updated = this.store.update(username, next);
    return updated instanceof Promise ? updated.then(() => lockMs) : lockMs;
  }

  succeeded(username: string): MaybeAsync<void> {
    return this.store.delete(username);
  }
}

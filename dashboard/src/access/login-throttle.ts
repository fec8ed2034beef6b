import type { Clock } from '@fleet/shared';

export interface LoginThrottleOptions {
  clock: Clock;
  /** Failures within `windowMs` that lock the user name (default 10 in 15 minutes). */
  maxFailures?: number;
  windowMs?: number;
  /** The first lock; each further one lasts twice the one before, up to `maxLockMs` (60 s, 15 min). */
  firstLockMs?: number;
  maxLockMs?: number;
}

interface Entry {
  /** Epoch ms of the failures since the last lock, within the window. */
  failures: number[];
  lockedUntil: number;
  /** Locks so far: the next one lasts firstLockMs × 2^lockouts. */
  lockouts: number;
  lastEvent: number;
}

/** An entry with no lock and no failure for this long is forgotten (and with it the doubling). */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;
const PRUNE_ABOVE = 1000;

/**
 * Failed logins counted per user name (known or not), in memory: after `maxFailures` within `windowMs` the
 * name is locked, first for `firstLockMs`, each further lock twice as long up to `maxLockMs`. A successful
 * login clears the name. Time is the injected clock's.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly firstLockMs: number;
  private readonly maxLockMs: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.firstLockMs = options.firstLockMs ?? 60_000;
    this.maxLockMs = options.maxLockMs ?? 15 * 60_000;
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }

  /** Milliseconds the user name stays locked; 0 when it may try now. */
  lockedFor(username: string): number {
    const entry = this.entries.get(username);
    return entry ? Math.max(0, entry.lockedUntil - this.now()) : 0;
  }

  /** A wrong password (or an unknown user); returns the lock it started in ms, or 0. */
  failed(username: string): number {
    const now = this.now();
    this.prune(now);
    const entry = this.entries.get(username) ?? { failures: [], lockedUntil: 0, lockouts: 0, lastEvent: now };
    entry.failures = entry.failures.filter((time) => now - time < this.windowMs);
    entry.failures.push(now);
    entry.lastEvent = now;
    let lockMs = 0;
    if (entry.failures.length >= this.maxFailures) {
      lockMs = Math.min(this.maxLockMs, this.firstLockMs * 2 ** entry.lockouts);
      entry.lockouts += 1;
      entry.lockedUntil = now + lockMs;
      entry.failures = [];
    }
    this.entries.set(username, entry);
    return lockMs;
  }

  succeeded(username: string): void {
    this.entries.delete(username);
  }

  /** User names being tracked now. */
  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    if (this.entries.size < PRUNE_ABOVE) return;
    for (const [name, entry] of this.entries) {
      if (entry.lockedUntil <= now && now - Math.max(entry.lastEvent, entry.lockedUntil) > FORGET_AFTER_MS) {
        this.entries.delete(name);
      }
    }
  }
}

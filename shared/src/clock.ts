/** Wall-clock time behind an interface, so tests can set the hour of the day. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

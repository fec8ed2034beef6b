/** Milliseconds from CLOCK_MONOTONIC (since boot): never goes back, not moved when the wall clock is set. */
export const monotonicNowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

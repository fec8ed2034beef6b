import type { Telemetry } from '@fleet/shared';

/** How far ahead of the dashboard's clock a device's timestamp may be and still be believed. */
export const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * THE RULE for the time a reading is filed under (`trusted_at`: history order, `latest`, the charts and
 * retention), computed here and nowhere else:
 *
 *  - the device's `timestamp`, when the device's clock was synchronised (`clock_synced` true, or absent as in
 *    contract 1) and the timestamp is at most FUTURE_TOLERANCE_MS (5 minutes) after `received_at`;
 *  - otherwise `received_at`, the dashboard's clock when the reading arrived: a reading that says its clock
 *    was not synchronised (`clock_synced: false`), or one from the future.
 *
 * So a reading from the future never stays `latest` after newer readings arrive, and a reading with a stale
 * date (a Pi without RTC before NTP) is not purged at the next retention run. The reading keeps its own
 * `timestamp` as sent, visible in the API. A timestamp in the past is believed when the clock was synced: a
 * reading that waited in the device's outbox during a broker outage is filed when it was taken.
 */
export function trustedTime(
  reading: Pick<Telemetry, 'timestamp' | 'clock_synced'>,
  receivedAt: number,
): number {
  const taken = Date.parse(reading.timestamp);
  if (reading.clock_synced === false || Number.isNaN(taken)) return receivedAt;
  if (taken > receivedAt + FUTURE_TOLERANCE_MS) return receivedAt;
  return taken;
}

import type { HistoryBucket, HistoryResponse, StoredReading } from '../api-types.js';

/** What a chart or an API client asks of one device's history. */
export interface HistoryQuery {
  deviceId: string;
  /** Epoch ms of trusted_at, inclusive; undefined: from the device's oldest reading or rollup. */
  from?: number;
  /** Epoch ms, inclusive; undefined: up to the device's newest reading. */
  to?: number;
  /** Most readings, or buckets, in the answer. */
  limit: number;
  /**
   * `readings`: when the range holds more than `limit`, the newest reading of each time bucket (what old
   * clients get); `buckets`: min, avg and max per bucket instead (what charts draw).
   */
  form: 'readings' | 'buckets';
}

export interface HistoryAnswer {
  /** Every reading of the range (bucketMs null), or one per bucket (form readings); oldest first. */
  readings: StoredReading[];
  /** The width of the buckets in ms; null when the range held at most `limit` readings, given whole. */
  bucketMs: number | null;
  /** Form buckets, when bucketMs is not null: oldest first, empty buckets left out. */
  buckets: HistoryBucket[];
}

/**
 * The history side of storage, all that the HTTP routes read of telemetry over time. SQLite implements it
 * on the main thread (TelemetryStore) and on a worker thread (HistoryWorker, what the service uses); a
 * PostgreSQL one is planned, hence the promise.
 */
export interface HistoryStore {
  history(query: HistoryQuery): HistoryAnswer | Promise<HistoryAnswer>;
  /**
   * Optional: the same answer as the JSON bytes of its HistoryResponse, made where the query ran (a worker
   * thread): the main thread neither copies nor serialises thousands of readings. Null: use `history`.
   */
  historyJson?(query: HistoryQuery): Promise<Uint8Array> | null;
}

/** The wire answer of `GET /api/devices/:id/history` for a store's answer: the one place of its shape. */
export function historyResponse(query: HistoryQuery, answer: HistoryAnswer): HistoryResponse {
  return {
    device_id: query.deviceId,
    history: answer.readings,
    bucket_ms: answer.bucketMs,
    ...(query.form === 'buckets' ? { buckets: answer.buckets } : {}),
  };
}

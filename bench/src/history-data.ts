import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRecord, SCHEMA_VERSION_DB, type StoredReading, TelemetryStore } from '@fleet/dashboard';
import { pino } from 'pino';
import { format } from './report.js';
import { deviceIds, reading } from './telemetry.js';

/** Bumped when the generated data changes shape: an older cache is then made again. */
const GENERATOR = 1;
const DAY_MS = 86_400_000;
/** Seconds of readings (of every device) per transaction. */
const SECONDS_PER_TRANSACTION = 600;
export const HISTORY_EPOCH = 'history';

export interface HistoryData {
  folder: string;
  devices: string[];
  /** Epoch ms of the first and the last reading. */
  startMs: number;
  endMs: number;
  rows: number;
  /** How long making it took, ms (on the run that made it). */
  generationMs: number;
  /** True when this run made it; false when a previous run's was reused. */
  generatedNow: boolean;
}

interface Manifest {
  generator: number;
  /** The dashboard's schema version it was made with: a database of another version is made again. */
  schema: number;
  devices: number;
  days: number;
  start_ms: number;
  end_ms: number;
  rows: number;
  generation_ms: number;
  generated_at: string;
}

/** Bytes of the database and its WAL. */
export function databaseBytes(folder: string): number {
  return ['dashboard.sqlite', 'dashboard.sqlite-wal']
    .map((file) => join(folder, file))
    .filter((path) => existsSync(path))
    .reduce((sum, path) => sum + statSync(path).size, 0);
}

/**
 * A week (or `days`) of one reading a second from each of `deviceCount` devices, in the dashboard's own
 * database format, made through its own write path (TelemetryStore, a transaction per 10 minutes of the
 * fleet's readings, in time order as they would arrive) and kept in `<baseDir>/history-<devices>x<days>d`
 * for later runs. A folder without a complete manifest (an interrupted run), or made for another version of
 * the dashboard's schema, is made again.
 */
export function ensureHistoryData(
  baseDir: string,
  deviceCount: number,
  days: number,
  progress: (text: string) => void,
): HistoryData {
  const folder = join(baseDir, `history-${deviceCount}x${days}d`);
  const manifestPath = join(folder, 'manifest.json');
  const devices = deviceIds(deviceCount);
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (
      manifest.generator === GENERATOR &&
      manifest.schema === SCHEMA_VERSION_DB &&
      manifest.devices === deviceCount &&
      manifest.days === days
    ) {
      return {
        folder,
        devices,
        startMs: manifest.start_ms,
        endMs: manifest.end_ms,
        rows: manifest.rows,
        generationMs: manifest.generation_ms,
        generatedNow: false,
      };
    }
  }
  rmSync(folder, { recursive: true, force: true });
  const started = performance.now();
  const seconds = days * (DAY_MS / 1000);
  const endMs = Math.floor(Date.now() / 1000) * 1000;
  const startMs = endMs - (seconds - 1) * 1000;
  const store = new TelemetryStore({
    path: join(folder, 'dashboard.sqlite'),
    logger: pino({ level: 'warn' }),
  });
  store.open();
  // Only how the bench's own connection writes, not what: no fsync at each commit (a run cut short leaves no
  // manifest, so its data is made again) and a large page cache for the indexes' many insertion points.
  store.database.pragma('synchronous = OFF');
  store.database.pragma('cache_size = -524288');
  let rows = 0;
  let last: StoredReading | null = null;
  try {
    for (let second = 0; second < seconds; second += SECONDS_PER_TRANSACTION) {
      store.transaction(() => {
        const until = Math.min(seconds, second + SECONDS_PER_TRANSACTION);
        for (let s = second; s < until; s++) {
          const at = startMs + s * 1000;
          for (const device of devices) {
            const sent = reading(device, s, at, HISTORY_EPOCH);
            last = { ...sent, received_at: sent.timestamp, trusted_at: sent.timestamp };
            store.writeReading(last);
            rows += 1;
          }
        }
      });
      if (second % (SECONDS_PER_TRANSACTION * 100) === 0) {
        const done = second / seconds;
        const elapsed = performance.now() - started;
        progress(
          `history data: ${format.count(rows)} of ${format.count(seconds * deviceCount)} readings (${Math.round(done * 100)} %, ${format.seconds(elapsed)}${done > 0 ? `, about ${format.seconds(elapsed / done - elapsed)} to go` : ''})`,
        );
      }
    }
    const latest = last as StoredReading | null;
    store.saveDevices(
      devices.map((device) => ({
        ...newRecord(device, startMs),
        last_seen: endMs,
        firmware: 'v1.0.0',
        latest: latest ? { ...latest, device_id: device } : null,
      })),
    );
    store.database.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    store.close();
  }
  const generationMs = performance.now() - started;
  const manifest: Manifest = {
    generator: GENERATOR,
    schema: SCHEMA_VERSION_DB,
    devices: deviceCount,
    days,
    start_ms: startMs,
    end_ms: endMs,
    rows,
    generation_ms: Math.round(generationMs),
    generated_at: new Date().toISOString(),
  };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { folder, devices, startMs, endMs, rows, generationMs, generatedNow: true };
}

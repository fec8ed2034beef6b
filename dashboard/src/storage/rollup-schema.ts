/**
 * The rollups of telemetry: per device, the count, min, sum and max of each measurement over a minute and
 * over ten minutes (kept as long as the raw readings, HISTORY_DAYS), and over an hour (kept ROLLUP_DAYS). A chart of a day,
 * a week or a year reads these instead of the raw readings. See rollups.ts for how they are kept up to date.
 */

export const MINUTE_MS = 60_000;
export const TEN_MINUTES_MS = 600_000;
export const HOUR_MS = 3_600_000;

/** The measurements rolled up; humidite may be missing (a sensor without it), the others never are. */
export const METRICS = ['temperature', 'humidite', 'pression', 'batterie'] as const;
export type Metric = (typeof METRICS)[number];

const rollupTable = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
  device_id       TEXT    NOT NULL,
  bucket          INTEGER NOT NULL, -- epoch ms of the bucket's start (trusted_at rounded down)
  n               INTEGER NOT NULL, -- readings in the bucket
  temperature_min REAL, temperature_sum REAL NOT NULL, temperature_max REAL,
  humidite_n      INTEGER NOT NULL, -- readings that had a humidity
  humidite_min    REAL, humidite_sum REAL NOT NULL, humidite_max REAL,
  pression_min    REAL, pression_sum REAL NOT NULL, pression_max REAL,
  batterie_min    REAL, batterie_sum REAL NOT NULL, batterie_max REAL,
  PRIMARY KEY (device_id, bucket)
) WITHOUT ROWID;`;

/** The rollup tables, finest first. */
export const ROLLUP_TABLES = ['rollup_minute', 'rollup_10min', 'rollup_hour'] as const;

/** The tables that hold figures of a device besides its raw readings: forgetting it empties them. */
export const PER_DEVICE_ROLLUP_TABLES = [...ROLLUP_TABLES, 'rollup_dirty'] as const;

export const ROLLUP_SCHEMA_SQL = `
${ROLLUP_TABLES.map(rollupTable).join('\n')}
-- watermark: the highest telemetry rowid rolled up; raw_from: the last retention cutoff (raw readings and
-- minute rollups are whole from there on).
CREATE TABLE IF NOT EXISTS rollup_state (
  name  TEXT    PRIMARY KEY,
  value INTEGER NOT NULL
);
-- Minute buckets to compute again from the raw readings: both buckets of a re-stamped reading.
CREATE TABLE IF NOT EXISTS rollup_dirty (
  device_id TEXT    NOT NULL,
  bucket    INTEGER NOT NULL,
  PRIMARY KEY (device_id, bucket)
) WITHOUT ROWID;
`;

export const ROLLUP_COLUMNS =
  'device_id, bucket, n, temperature_min, temperature_sum, temperature_max, humidite_n, humidite_min, humidite_sum, humidite_max, pression_min, pression_sum, pression_max, batterie_min, batterie_sum, batterie_max';

/** The aggregate columns over raw telemetry rows, in ROLLUP_COLUMNS order after device_id and bucket. */
export const RAW_AGGREGATES = `COUNT(*) AS n,
  ${METRICS.map((m) => `${m === 'humidite' ? 'COUNT(humidite) AS humidite_n, ' : ''}MIN(${m}) AS ${m}_min, TOTAL(${m}) AS ${m}_sum, MAX(${m}) AS ${m}_max`).join(',\n  ')}`;

/** The same over rollup rows (a finer rollup into a coarser one). */
export const ROLLUP_AGGREGATES = `SUM(n) AS n,
  ${METRICS.map((m) => `${m === 'humidite' ? 'SUM(humidite_n) AS humidite_n, ' : ''}MIN(${m}_min) AS ${m}_min, TOTAL(${m}_sum) AS ${m}_sum, MAX(${m}_max) AS ${m}_max`).join(',\n  ')}`;

// MIN(a, b) of SQLite is NULL when either is: a bucket without humidity merged with one with it keeps it.
const least = (c: string) => `${c} = MIN(COALESCE(${c}, excluded.${c}), COALESCE(excluded.${c}, ${c}))`;
const most = (c: string) => `${c} = MAX(COALESCE(${c}, excluded.${c}), COALESCE(excluded.${c}, ${c}))`;
const add = (c: string) => `${c} = ${c} + excluded.${c}`;

/** Adds the aggregates of new rows to a bucket already rolled up. */
export const MERGE_ON_CONFLICT = `ON CONFLICT (device_id, bucket) DO UPDATE SET ${[
  add('n'),
  add('humidite_n'),
  ...METRICS.flatMap((m) => [least(`${m}_min`), add(`${m}_sum`), most(`${m}_max`)]),
].join(', ')}`;

/** The hook of a re-stamped reading (ReadingWriter): its bucket before and after are computed again. */
export const MARK_DIRTY_SQL = 'INSERT OR IGNORE INTO rollup_dirty (device_id, bucket) VALUES (?, ?)';

export const minuteOf = (at: number): number => Math.floor(at / MINUTE_MS) * MINUTE_MS;

import { METRICS } from '../rollup-schema.js';

/** The rollup aggregates over raw telemetry rows (PostgreSQL), in ROLLUP_COLUMNS order after device and bucket. */
export const PG_RAW_AGGREGATES = `COUNT(*) AS n,
  ${METRICS.map((m) => `${m === 'humidite' ? 'COUNT(humidite) AS humidite_n, ' : ''}MIN(${m}) AS ${m}_min, COALESCE(SUM(${m}), 0) AS ${m}_sum, MAX(${m}) AS ${m}_max`).join(',\n  ')}`;

/** The same over rollup rows (a finer rollup into a coarser one). */
export const PG_ROLLUP_AGGREGATES = `SUM(n) AS n,
  ${METRICS.map((m) => `${m === 'humidite' ? 'SUM(humidite_n) AS humidite_n, ' : ''}MIN(${m}_min) AS ${m}_min, COALESCE(SUM(${m}_sum), 0) AS ${m}_sum, MAX(${m}_max) AS ${m}_max`).join(',\n  ')}`;

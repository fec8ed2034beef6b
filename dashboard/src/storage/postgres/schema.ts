import { METRICS } from '../rollup-schema.js';

/**
 * The PostgreSQL layout of the readings path: the same tables and columns as SQLite's (dashboard/src/storage/
 * schema.ts), times in epoch ms (bigint), booleans as 0/1 smallints, so that rows.ts reads rows of both.
 * Users, tokens, sessions, the command trail and alerts are not here: they stay in the local SQLite file.
 */
const rollupTable = (name: string) => `
CREATE TABLE ${name} (
  device_id       text   NOT NULL,
  bucket          bigint NOT NULL,
  n               bigint NOT NULL,
  ${METRICS.map((m) => `${m === 'humidite' ? 'humidite_n bigint NOT NULL, ' : ''}${m}_min double precision, ${m}_sum double precision NOT NULL, ${m}_max double precision`).join(',\n  ')},
  PRIMARY KEY (device_id, bucket)
);`;

/** Migration 1: readings, delivery figures, registry, rollups. */
export const READINGS_SCHEMA_V1 = `
CREATE TABLE telemetry (
  device_id    text             NOT NULL,
  epoch        text             NOT NULL,
  seq          bigint           NOT NULL,
  trusted_at   bigint           NOT NULL,
  received_at  bigint           NOT NULL,
  timestamp    text             NOT NULL,
  v            smallint,
  clock_synced smallint,
  temperature  double precision NOT NULL,
  humidite     double precision,
  pression     double precision NOT NULL,
  batterie     double precision NOT NULL,
  mode         text             NOT NULL,
  firmware     text             NOT NULL,
  alerte       smallint         NOT NULL,
  uptime       bigint           NOT NULL,
  source       text             NOT NULL,
  row_id       bigserial        NOT NULL, -- insertion order, the tie-break of raw pages
  PRIMARY KEY (device_id, epoch, seq)
);
CREATE INDEX telemetry_device_trusted ON telemetry (device_id, trusted_at, row_id);
CREATE INDEX telemetry_trusted ON telemetry (trusted_at);

CREATE TABLE delivery (
  device_id text   NOT NULL,
  epoch     text   NOT NULL,
  min_seq   bigint NOT NULL,
  max_seq   bigint NOT NULL,
  received  bigint NOT NULL,
  conflicts bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (device_id, epoch)
);

CREATE TABLE devices (
  device_id     text     PRIMARY KEY,
  first_seen    bigint   NOT NULL,
  last_seen     bigint,
  status        text,
  online_status text,
  latest        text,
  settings      text,
  firmware      text,
  alerte        smallint NOT NULL DEFAULT 0,
  availability  text
);
${['rollup_minute', 'rollup_10min', 'rollup_hour'].map(rollupTable).join('\n')}
-- raw_from: the last retention cutoff (raw readings and minute rollups are whole from there on).
CREATE TABLE rollup_state (
  name  text   PRIMARY KEY,
  value bigint NOT NULL
);
-- Minute buckets whose rollups are to be computed again from the raw readings: written by the ingest in the
-- transaction of the readings (any replica), taken by the rollup job (one replica at a time).
CREATE TABLE rollup_pending (
  device_id text   NOT NULL,
  bucket    bigint NOT NULL,
  PRIMARY KEY (device_id, bucket)
);
`;

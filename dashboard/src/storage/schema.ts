import { ALERT_SCHEMA_SQL } from '../alerts/alert-schema.js';
import { ROLLUP_SCHEMA_SQL } from './rollup-schema.js';

/**
 * The database layout. `CREATE … IF NOT EXISTS`: opening an existing database keeps its data (and adds the
 * rollup tables to a database of an earlier build of this layout; they fill at start).
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS telemetry (
  device_id    TEXT    NOT NULL,
  epoch        TEXT    NOT NULL, -- the device's storage epoch; '' for a reading of contract 1 (no epoch)
  seq          INTEGER NOT NULL,
  trusted_at   INTEGER NOT NULL, -- epoch ms the reading is filed under: history order, ranges, retention
  received_at  INTEGER NOT NULL, -- epoch ms, the dashboard's clock when the reading arrived
  timestamp    TEXT    NOT NULL, -- as the device sent it
  v            INTEGER,          -- the message's contract version; NULL: contract 1
  clock_synced INTEGER,          -- 1, 0, or NULL when the reading did not say
  temperature  REAL    NOT NULL,
  humidite     REAL,
  pression     REAL    NOT NULL,
  batterie     REAL    NOT NULL,
  mode         TEXT    NOT NULL,
  firmware     TEXT    NOT NULL,
  alerte       INTEGER NOT NULL,
  uptime       INTEGER NOT NULL,
  source       TEXT    NOT NULL,
  PRIMARY KEY (device_id, epoch, seq) -- a reading's identity: a QoS 1 redelivery is not a second point
);
CREATE INDEX IF NOT EXISTS telemetry_device_trusted ON telemetry (device_id, trusted_at);
CREATE INDEX IF NOT EXISTS telemetry_trusted ON telemetry (trusted_at);

-- Delivery figures per device and epoch, kept in the transaction that stores each reading and never
-- touched by retention: lost = max_seq - min_seq + 1 - received (contract 2 epochs only).
CREATE TABLE IF NOT EXISTS delivery (
  device_id TEXT    NOT NULL,
  epoch     TEXT    NOT NULL,
  min_seq   INTEGER NOT NULL,
  max_seq   INTEGER NOT NULL,
  received  INTEGER NOT NULL, -- distinct readings stored
  conflicts INTEGER NOT NULL DEFAULT 0, -- redeliveries that differed from the stored reading
  PRIMARY KEY (device_id, epoch)
);

CREATE TABLE IF NOT EXISTS devices (
  device_id     TEXT    PRIMARY KEY,
  first_seen    INTEGER NOT NULL,
  last_seen     INTEGER,
  status        TEXT,   -- last status JSON, online or offline
  online_status TEXT,   -- last online status JSON
  latest        TEXT,   -- latest telemetry JSON
  settings      TEXT,   -- settings JSON
  firmware      TEXT,
  alerte        INTEGER NOT NULL DEFAULT 0,
  availability  TEXT    -- online | offline, from {root}/{id}/availability (contract 2); NULL: never received
);

-- Devices forgotten (DELETE /api/devices/:id): the broker's retained status and availability of such a device
-- are ignored until it sends a live message again (see DeviceRemoval and Tombstones).
CREATE TABLE IF NOT EXISTS forgotten_devices (
  device_id    TEXT    PRIMARY KEY,
  forgotten_at INTEGER NOT NULL -- epoch ms
);

-- Access control: users (scrypt hashes), API tokens (SHA-256 of the secret), server-side sessions.
CREATE TABLE IF NOT EXISTS users (
  username             TEXT    PRIMARY KEY,
  role                 TEXT    NOT NULL, -- viewer | operator | admin
  password_hash        TEXT    NOT NULL, -- scrypt$N$r$p$salt$hash
  must_change_password INTEGER NOT NULL DEFAULT 0,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
  id           TEXT    PRIMARY KEY, -- public part of the token
  name         TEXT    NOT NULL,
  role         TEXT    NOT NULL,
  secret_hash  TEXT    NOT NULL, -- hex SHA-256 of the secret part
  created_by   TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
  id         TEXT    PRIMARY KEY,
  username   TEXT    NOT NULL,
  data       TEXT    NOT NULL, -- the session as JSON
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_username ON sessions (username);
-- Secrets the server makes once and keeps (e.g. the key that signs session cookies).
CREATE TABLE IF NOT EXISTS secrets (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- The trail: who sent which command to which device, and what the device answered.
CREATE TABLE IF NOT EXISTS command_log (
  command_id  TEXT    PRIMARY KEY,
  device_id   TEXT    NOT NULL,
  sent_at     INTEGER NOT NULL,
  actor       TEXT    NOT NULL, -- user name or token name
  actor_kind  TEXT    NOT NULL, -- user | token | anonymous (auth off)
  command     TEXT    NOT NULL, -- the command fields as JSON
  outcome     TEXT    NOT NULL, -- no_answer | applied | rejected | not_sent
  error       TEXT,             -- the device's reason (rejected) or why it was not sent
  answered_at INTEGER
);
CREATE INDEX IF NOT EXISTS command_log_device ON command_log (device_id, sent_at);
${ROLLUP_SCHEMA_SQL}
${ALERT_SCHEMA_SQL}`;

/** The layout version in PRAGMA user_version; 0 is the previous release's (telemetry keyed by device and seq). */
export const SCHEMA_VERSION_DB = 2;

export const TELEMETRY_COLUMNS =
  'device_id, epoch, seq, trusted_at, received_at, timestamp, v, clock_synced, temperature, humidite, pression, batterie, mode, firmware, alerte, uptime, source';

export const UPSERT_DEVICE_SQL = `
INSERT INTO devices
  (device_id, first_seen, last_seen, status, online_status, latest, settings, firmware, alerte, availability)
VALUES
  (@device_id, @first_seen, @last_seen, @status, @online_status, @latest, @settings, @firmware, @alerte, @availability)
ON CONFLICT (device_id) DO UPDATE SET
  first_seen = excluded.first_seen, last_seen = excluded.last_seen, status = excluded.status,
  online_status = excluded.online_status, latest = excluded.latest, settings = excluded.settings,
  firmware = excluded.firmware, alerte = excluded.alerte, availability = excluded.availability`;

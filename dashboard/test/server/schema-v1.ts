// The previous release's database layout (dashboard/src/storage/schema.ts before contract 2), verbatim, to
// test the migration from a database it made.
export const SCHEMA_V1_SQL = `
CREATE TABLE IF NOT EXISTS telemetry (
  device_id   TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  ts          INTEGER NOT NULL, -- epoch ms of "timestamp", for ranges and retention
  timestamp   TEXT    NOT NULL, -- as the device sent it
  temperature REAL    NOT NULL,
  humidite    REAL,
  pression    REAL    NOT NULL,
  batterie    REAL    NOT NULL,
  mode        TEXT    NOT NULL,
  firmware    TEXT    NOT NULL,
  alerte      INTEGER NOT NULL,
  uptime      INTEGER NOT NULL,
  source      TEXT    NOT NULL,
  PRIMARY KEY (device_id, seq) -- a QoS 1 redelivery is not a second point
);
CREATE INDEX IF NOT EXISTS telemetry_device_ts ON telemetry (device_id, ts);
CREATE INDEX IF NOT EXISTS telemetry_ts ON telemetry (ts);

CREATE TABLE IF NOT EXISTS devices (
  device_id     TEXT    PRIMARY KEY,
  first_seen    INTEGER NOT NULL,
  last_seen     INTEGER,
  status        TEXT,   -- last status JSON, online or offline
  online_status TEXT,   -- last online status JSON
  latest        TEXT,   -- latest telemetry JSON
  settings      TEXT,   -- settings JSON
  firmware      TEXT,
  alerte        INTEGER NOT NULL DEFAULT 0
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
`;

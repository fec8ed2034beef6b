/**
 * The alerts' tables, part of the database layout (SCHEMA_SQL): `CREATE … IF NOT EXISTS`, so a database of
 * an earlier build gets them empty when it opens (the fleet defaults then apply, and no channel is set).
 */
export const ALERT_SCHEMA_SQL = `
-- Alert rules: scope '' holds the fleet defaults' changes, a device id that device's override (JSON of the
-- fields each rule changes; see dashboard/src/alerts/rules.ts).
CREATE TABLE IF NOT EXISTS alert_rules (
  scope      TEXT    PRIMARY KEY,
  rules      TEXT    NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT    NOT NULL
);
-- Notification channels: one row per kind (webhook, ntfy, slack, telegram), its settings as JSON, secrets included.
CREATE TABLE IF NOT EXISTS alert_channels (
  kind       TEXT    PRIMARY KEY,
  settings   TEXT    NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT    NOT NULL
);
-- Incidents: at most one open per (device, rule).
CREATE TABLE IF NOT EXISTS alert_incidents (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id   TEXT    NOT NULL,
  rule        TEXT    NOT NULL,
  opened_at   INTEGER NOT NULL, -- epoch ms
  resolved_at INTEGER,          -- epoch ms; NULL while open
  value       REAL,             -- the value that raised it (°C, %, minutes offline, readings lost)
  threshold   REAL,             -- the limit it crossed
  resolved_value REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS alert_incidents_open ON alert_incidents (device_id, rule) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS alert_incidents_opened ON alert_incidents (opened_at);
-- The notifications to send (a durable queue): one per incident, event and channel, written in the
-- transaction that opens or resolves the incident; sent_at or given_up_at ends it.
CREATE TABLE IF NOT EXISTS alert_notifications (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER NOT NULL,
  event       TEXT    NOT NULL, -- opened | resolved
  channel     TEXT    NOT NULL, -- webhook | ntfy | slack | telegram
  created_at  INTEGER NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     INTEGER NOT NULL, -- epoch ms of the next attempt
  last_error  TEXT,
  sent_at     INTEGER,
  given_up_at INTEGER,
  UNIQUE (incident_id, event, channel)
);
CREATE INDEX IF NOT EXISTS alert_notifications_pending ON alert_notifications (next_at)
  WHERE sent_at IS NULL AND given_up_at IS NULL;
`;

/**
 * Version 5 of the PostgreSQL layout: the alerts, as in SQLite's alert tables (dashboard/src/alerts/alert-schema.ts),
 * so that every replica shows the same rules, channels and incidents, and the replica that leads the alerts
 * (an advisory lock, see dashboard/src/alerts/leadership.ts) finds the queue another one left. Times are
 * epoch milliseconds from the dashboard's injected clock, like SQLite's.
 */
export const ALERTS_SCHEMA_V5 = `
CREATE TABLE alert_rules (
  scope      text   PRIMARY KEY, -- '' the fleet defaults' changes, else a device id
  rules      jsonb  NOT NULL,
  updated_at bigint NOT NULL,
  updated_by text   NOT NULL
);
CREATE TABLE alert_channels (
  kind       text   PRIMARY KEY, -- webhook | ntfy | slack | telegram
  settings   jsonb  NOT NULL,    -- secrets included; answered masked by the API
  updated_at bigint NOT NULL,
  updated_by text   NOT NULL
);
CREATE TABLE alert_incidents (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id      text   NOT NULL,
  rule           text   NOT NULL,
  opened_at      bigint NOT NULL,
  resolved_at    bigint,
  value          double precision,
  threshold      double precision,
  resolved_value double precision
);
-- At most one open incident per (device, rule), whichever replica writes it.
CREATE UNIQUE INDEX alert_incidents_open ON alert_incidents (device_id, rule) WHERE resolved_at IS NULL;
CREATE INDEX alert_incidents_opened ON alert_incidents (opened_at);
CREATE TABLE alert_notifications (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id bigint NOT NULL REFERENCES alert_incidents (id),
  event       text   NOT NULL, -- opened | resolved
  channel     text   NOT NULL,
  created_at  bigint NOT NULL,
  attempts    integer NOT NULL DEFAULT 0,
  next_at     bigint NOT NULL,
  last_error  text,
  sent_at     bigint,
  given_up_at bigint,
  UNIQUE (incident_id, event, channel)
);
CREATE INDEX alert_notifications_pending ON alert_notifications (next_at)
  WHERE sent_at IS NULL AND given_up_at IS NULL;
`;

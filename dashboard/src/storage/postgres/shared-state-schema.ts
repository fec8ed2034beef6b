/**
 * Version 4 of the PostgreSQL layout: what every replica must see alike besides the readings and the access
 * data. The command trail and the list of forgotten devices, as in SQLite's `command_log` and
 * `forgotten_devices` (times in epoch ms), and the failed logins the login throttle counts (in memory
 * without DATABASE_URL), so that N replicas do not give N times the attempts.
 */
export const SHARED_STATE_SCHEMA_V4 = `
CREATE TABLE command_log (
  command_id  text   PRIMARY KEY,
  device_id   text   NOT NULL,
  sent_at     bigint NOT NULL,
  actor       text   NOT NULL,
  actor_kind  text   NOT NULL,
  command     text   NOT NULL,
  outcome     text   NOT NULL,
  error       text,
  answered_at bigint,
  row_id      bigserial NOT NULL -- insertion order, the tie-break of a device's list (SQLite's rowid)
);
CREATE INDEX command_log_device ON command_log (device_id, sent_at, row_id);
CREATE TABLE forgotten_devices (
  device_id    text   PRIMARY KEY,
  forgotten_at bigint NOT NULL
);
CREATE TABLE login_failures (
  username     text     PRIMARY KEY,
  failures     bigint[] NOT NULL, -- the failures since the last lock, within the window
  locked_until bigint   NOT NULL,
  lockouts     integer  NOT NULL,
  last_event   bigint   NOT NULL
);
`;

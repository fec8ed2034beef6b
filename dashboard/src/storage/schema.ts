/** The database layout. `CREATE … IF NOT EXISTS`: opening an existing database keeps its data. */
export const SCHEMA_SQL = `
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
`;

export const INSERT_TELEMETRY_SQL = `
INSERT OR IGNORE INTO telemetry
  (device_id, seq, ts, timestamp, temperature, humidite, pression, batterie, mode, firmware, alerte, uptime, source)
VALUES
  (@device_id, @seq, @ts, @timestamp, @temperature, @humidite, @pression, @batterie, @mode, @firmware, @alerte,
   @uptime, @source)`;

export const UPSERT_DEVICE_SQL = `
INSERT INTO devices (device_id, first_seen, last_seen, status, online_status, latest, settings, firmware, alerte)
VALUES (@device_id, @first_seen, @last_seen, @status, @online_status, @latest, @settings, @firmware, @alerte)
ON CONFLICT (device_id) DO UPDATE SET
  first_seen = excluded.first_seen, last_seen = excluded.last_seen, status = excluded.status,
  online_status = excluded.online_status, latest = excluded.latest, settings = excluded.settings,
  firmware = excluded.firmware, alerte = excluded.alerte`;

export const TELEMETRY_COLUMNS =
  'device_id, seq, timestamp, temperature, humidite, pression, batterie, mode, firmware, alerte, uptime, source';

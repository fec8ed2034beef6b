import type {
  Ack,
  DeviceSettings,
  DeviceStatus,
  EpochReason,
  OtaStatus,
  SensorStatus,
  Telemetry,
} from '@fleet/shared';

/**
 * A reading as the dashboard stored it: the device's message, plus when the dashboard received it and the
 * time it files the reading under (history order, `latest`, retention). `trusted_at` is the device's
 * `timestamp` when the device's clock was synchronised and the time is not in the future (more than
 * 5 minutes after `received_at`); otherwise it is `received_at`. See docs/mqtt-contract.md, "Time".
 */
export type StoredReading = Telemetry & {
  /** When the dashboard received it (ISO 8601, UTC, the dashboard's clock). */
  received_at: string;
  /** The time the dashboard files it under (ISO 8601, UTC). */
  trusted_at: string;
};

/**
 * How well a device's readings arrive, over every storage epoch the dashboard has seen from it. Within an
 * epoch seq counts up by one per reading, so a gap between the lowest and highest seq received is a loss.
 * Readings of the previous contract (no epoch) count in `received` but never in `lost`: their seq was
 * allowed gaps.
 */
export interface DeliveryFigures {
  /** Distinct readings stored. */
  received: number;
  /** Readings missing from the seq ranges received, epoch by epoch. */
  lost: number;
  /** Redeliveries whose content differed from the reading stored under the same identity (the first is kept). */
  conflicts: number;
}

/** One device as the dashboard describes it: `GET /api/devices` and the SSE `device` event. */
export interface DeviceSummary {
  device_id: string;
  /** From the device's availability (its last will says offline); for a contract 1 device, from its status. */
  online: boolean;
  /** When the dashboard last received a message from the device (ISO 8601, UTC). */
  last_seen: string | null;
  firmware: string | null;
  settings: DeviceSettings | null;
  ota: OtaStatus | null;
  sensor: SensorStatus | null;
  /** From the most recent of the latest telemetry and the latest status. */
  alerte: boolean;
  /** The reading with the latest `trusted_at`. */
  latest: StoredReading | null;
  delivery: DeliveryFigures;
  /** The storage epoch of the device's last status, and why it began; null for a contract 1 device. */
  epoch: string | null;
  epoch_reason: EpochReason | null;
  /** Whether the device's clock is synchronised, from its last status; null when it does not say. */
  clock_synced: boolean | null;
}

/** `GET /api/data` */
export interface DataResponse {
  latest: Record<string, StoredReading>;
  /** Oldest first (by `trusted_at`). */
  history: StoredReading[];
  devices: string[];
}

/** `GET /api/devices` */
export interface DevicesResponse {
  devices: DeviceSummary[];
}

/** One measurement over a time bucket. */
export interface BucketStats {
  min: number;
  avg: number;
  max: number;
}

/** One time bucket of a device's history (`?form=buckets`): its readings' min, avg and max. */
export interface HistoryBucket {
  /** The bucket's start (ISO 8601, UTC); it spans `bucket_ms` from there. */
  start: string;
  /** Readings in the bucket. */
  n: number;
  temperature: BucketStats;
  /** null when no reading of the bucket had a humidity. */
  humidite: BucketStats | null;
  pression: BucketStats;
  batterie: BucketStats;
}

/**
 * `GET /api/devices/:id/history?from&to&limit&form`. A range holding at most `limit` readings comes whole
 * in `history` (`bucket_ms` null). A longer one is cut into at most `limit` time buckets of `bucket_ms`:
 * `history` then holds the newest reading of each bucket (form `readings`, the default), or is empty and
 * `buckets` holds min, avg and max per bucket (form `buckets`).
 */
export interface HistoryResponse {
  device_id: string;
  /** Oldest first (by `trusted_at`). */
  history: StoredReading[];
  bucket_ms: number | null;
  /** Form `buckets` only: oldest first, buckets without readings left out. */
  buckets?: HistoryBucket[];
}

/** `POST /api/command`, 200. `ack` is there when `?wait=N` was given. */
export interface CommandSuccessResponse {
  status: 'success';
  command_id: string;
  ack?: Ack;
}

/** Every error: 4xx and 5xx. 422 adds the device's `ack`; 422 and 504 add `command_id`. */
export interface ErrorResponse {
  status: 'error';
  error: string;
  command_id?: string;
  ack?: Ack;
}

/** `GET /healthz`: 200 when both are fine, 503 otherwise (with `error` naming what is not). */
export interface HealthResponse {
  status: 'ok' | 'error';
  mqtt: 'connected' | 'disconnected';
  /** `error` when the database does not answer or cannot be written (a full disk): messages then wait in the broker. */
  database: 'ok' | 'error';
  error?: string;
}

/** A role: viewer sees everything, operator also sends commands and updates, admin also manages access. */
export type RoleName = 'viewer' | 'operator' | 'admin';

/**
 * `GET /api/me`: who the request is. With AUTH off, `auth` is "off" and the user is
 * `{name: "anonymous", role: "admin", kind: "anonymous"}`. Without a session or token: 401.
 */
export interface MeResponse {
  auth: 'on' | 'off';
  user: {
    name: string;
    role: RoleName;
    /** How the request authenticated: a login session, an API token, or nothing (AUTH off). */
    kind: 'user' | 'token' | 'anonymous';
    /** A generated first password: every other route answers 403 until POST /api/me/password. */
    must_change_password: boolean;
  };
}

/** `POST /api/login` body; 204 and the session cookie when right, 401 when not, 429 when throttled. */
export interface LoginRequest {
  username: string;
  password: string;
}

/** `POST /api/me/password` body; 204 when changed (the other sessions of the user end). */
export interface PasswordChangeRequest {
  current_password: string;
  new_password: string;
}

/** What became of a command, as the trail keeps it; `no_answer` until the device's ack arrives. */
export type CommandOutcomeName = 'no_answer' | 'applied' | 'rejected' | 'not_sent';

/** One command of the trail: `GET /api/devices/:id/commands` and the SSE `command` event. */
export interface CommandLogEntry {
  command_id: string;
  device_id: string;
  /** When it was sent (ISO 8601, UTC). */
  sent_at: string;
  /** Who sent it: a user, an API token (by its name), anonymous (AUTH off), or `homeassistant` (kind mqtt, through {root}/{id}/set). */
  by: { name: string; kind: 'user' | 'token' | 'anonymous' | 'mqtt' };
  /** The command's fields, as sent (without device_id and command_id). */
  command: Record<string, unknown>;
  outcome: CommandOutcomeName;
  /** The device's reason (rejected), or why it was not sent. */
  error: string | null;
  /** When the device's ack arrived (ISO 8601), or null. */
  answered_at: string | null;
}

/** `GET /api/devices/:id/commands?limit=N`: newest first; `limit` 1 to 200, default 20. */
export interface CommandLogResponse {
  device_id: string;
  commands: CommandLogEntry[];
}

/** One API token, never with its secret. */
export interface TokenSummary {
  id: string;
  name: string;
  role: RoleName;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** `GET /api/tokens` (admin). */
export interface TokensResponse {
  tokens: TokenSummary[];
}

/** `POST /api/tokens` (admin) body `{name, role}`: 201 with the token's secret, shown this once. */
export interface TokenCreatedResponse {
  token: string;
  info: TokenSummary;
}

/**
 * What happens to one device, by event name: the dashboard's own events, and on `GET /api/events?device=ID`
 * the events of the watched device.
 */
export interface DashboardEventMap {
  telemetry: StoredReading;
  status: DeviceStatus;
  ack: Ack;
  device: DeviceSummary;
  /** A command of the trail, when it is sent and again when the device answers. */
  command: CommandLogEntry;
  /** The device was forgotten (`DELETE /api/devices/:id`). */
  forgotten: ForgottenEvent;
}
export type DashboardEventName = keyof DashboardEventMap;

/** The `forgotten` event. */
export interface ForgottenEvent {
  device_id: string;
}

/** `GET /api/events?fleet=…`: whole rows of the fleet (default), only its counts, or nothing of the fleet. */
export type FleetMode = 'rows' | 'counts' | 'none';

/** The fleet at a glance; `alerting` counts the devices whose `alerte` is on. */
export interface FleetCounts {
  devices: number;
  online: number;
  offline: number;
  alerting: number;
}

/** One device in the fleet list: its latest reading's values (null before any), and `lost` from its delivery figures. */
export interface FleetRow {
  device_id: string;
  online: boolean;
  alerte: boolean;
  /** When the dashboard last received a message from the device (ISO 8601, UTC). */
  last_seen: string | null;
  firmware: string | null;
  temperature: number | null;
  humidite: number | null;
  pression: number | null;
  /** The latest reading's battery charge (%). */
  batterie: number | null;
  lost: number;
}

/**
 * The `fleet` event. The first, sent at once on open, is full: a row for every known device (`rows` only with
 * fleet=rows). Then at most about once a second, and only when something changed, `full` is false: `rows`
 * holds the changed devices' rows (fleet=rows) and `removed` the ids forgotten since the previous event.
 */
export interface FleetEventData {
  full: boolean;
  counts: FleetCounts;
  rows?: FleetRow[];
  removed?: string[];
}

/** The events of `GET /api/events`, by event name: the watched device's, and the fleet's. */
export type StreamEventMap = DashboardEventMap & { fleet: FleetEventData };
export type StreamEventName = keyof StreamEventMap;

import type { Ack, DeviceSettings, DeviceStatus, OtaStatus, SensorStatus, Telemetry } from '@fleet/shared';

/** One device as the dashboard describes it: `GET /api/devices` and the SSE `device` event. */
export interface DeviceSummary {
  device_id: string;
  /** From the device's last status message (its last will says false). */
  online: boolean;
  /** When the dashboard last received a message from the device (ISO 8601, UTC). */
  last_seen: string | null;
  firmware: string | null;
  settings: DeviceSettings | null;
  ota: OtaStatus | null;
  sensor: SensorStatus | null;
  /** From the most recent of the latest telemetry and the latest status. */
  alerte: boolean;
  latest: Telemetry | null;
}

/** `GET /api/data` */
export interface DataResponse {
  latest: Record<string, Telemetry>;
  /** Oldest first. */
  history: Telemetry[];
  devices: string[];
}

/** `GET /api/devices` */
export interface DevicesResponse {
  devices: DeviceSummary[];
}

/** `GET /api/devices/:id/history` */
export interface HistoryResponse {
  device_id: string;
  /** Oldest first. */
  history: Telemetry[];
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
  /** Who sent it: a user, an API token (by its name), or anonymous (AUTH off). */
  by: { name: string; kind: 'user' | 'token' | 'anonymous' };
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

/** The events of `GET /api/events` (Server-Sent Events), by event name. */
export interface DashboardEventMap {
  telemetry: Telemetry;
  status: DeviceStatus;
  ack: Ack;
  device: DeviceSummary;
  /** A command of the trail, when it is sent and again when the device answers. */
  command: CommandLogEntry;
}
export type DashboardEventName = keyof DashboardEventMap;

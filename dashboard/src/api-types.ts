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

/** The events of `GET /api/events` (Server-Sent Events), by event name. */
export interface DashboardEventMap {
  telemetry: Telemetry;
  status: DeviceStatus;
  ack: Ack;
  device: DeviceSummary;
}
export type DashboardEventName = keyof DashboardEventMap;

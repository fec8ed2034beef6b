/**
 * The wire shapes the page reads, mirrored from shared/src/messages.ts (the page is compiled on its own,
 * without zod, so it cannot import the schemas). Field names are the contract's, in French.
 */
export type Mode = 'auto' | 'manuel' | 'economie';
export type SensorSource = 'bme280' | 'bmp280' | 'synthetic';
export type OtaStateName =
  | 'idle'
  | 'downloading'
  | 'verifying'
  | 'installing'
  | 'rebooting'
  | 'succeeded'
  | 'failed';

/** Why a device began the storage epoch it is in (mirrors EPOCH_REASONS of shared/src/messages.ts). */
export type EpochReason = 'first_start' | 'state_lost' | 'unclean_stop' | 'upgrade';
export const EPOCH_REASONS: readonly EpochReason[] = ['first_start', 'state_lost', 'unclean_stop', 'upgrade'];

/** A reading as the device sent it. `v`, `epoch` and `clock_synced` come from devices of contract 2. */
export interface Telemetry {
  v?: number;
  device_id: string;
  timestamp: string;
  temperature: number;
  humidite: number | null;
  pression: number;
  batterie: number;
  mode: Mode;
  firmware: string;
  alerte: boolean;
  uptime: number;
  seq: number;
  source: SensorSource;
  epoch?: string;
  clock_synced?: boolean;
}

/**
 * A reading as the dashboard stored it: when it was received, and the time it is filed under (`trusted_at`:
 * the device's time when its clock was synchronised and not ahead, else `received_at`). Charts, history
 * and the latest reading's age use `trusted_at`.
 */
export interface StoredReading extends Telemetry {
  received_at: string;
  trusted_at: string;
}

/** One measurement over a time bucket of the history. */
export interface BucketStats {
  min: number;
  avg: number;
  max: number;
}

/** One time bucket of a device's history (`form=buckets`): min, avg and max of its readings. */
export interface HistoryBucket {
  /** The bucket's start (ISO 8601); it spans `bucket_ms` from there. */
  start: string;
  n: number;
  temperature: BucketStats;
  humidite: BucketStats | null;
  pression: BucketStats;
  batterie: BucketStats;
}

/**
 * `GET /api/devices/:id/history`: every reading of the range (`bucket_ms` null), or time buckets of
 * `bucket_ms` (`buckets` with `form=buckets`).
 */
export interface HistoryResponse {
  device_id: string;
  history: StoredReading[];
  bucket_ms: number | null;
  buckets?: HistoryBucket[];
}

/**
 * How a device's readings arrive: `lost` counts the seq numbers missing within each storage epoch (readings
 * the device took that never arrived); `conflicts`, redeliveries that differed from the stored reading.
 */
export interface DeliveryFigures {
  received: number;
  lost: number;
  conflicts: number;
}

export interface DeviceSettings {
  mode: Mode;
  intervalle: number;
  seuil_alerte: number;
  actif: boolean;
  /** Calibration: from devices of this release on (°C, %RH, hPa added; altitude in metres, 0: station pressure). */
  correction_temperature?: number;
  correction_humidite?: number;
  correction_pression?: number;
  altitude?: number;
}

export interface OtaStatus {
  state: OtaStateName;
  progress: number;
  target_version: string | null;
  previous_version: string | null;
  error: string | null;
  command_id: string | null;
  updated_at: string;
}

export interface SensorStatus {
  source: SensorSource;
  bus: number | null;
  address: string | null;
  healthy: boolean;
  error: string | null;
}

export interface OnlineStatus extends DeviceSettings {
  v?: number;
  device_id: string;
  epoch?: string;
  epoch_reason?: EpochReason;
  clock_synced?: boolean;
  online: true;
  firmware: string;
  alerte: boolean;
  sensor: SensorStatus;
  ota: OtaStatus;
  timestamp: string;
}

export interface OfflineStatus {
  v?: number;
  device_id: string;
  online: false;
  timestamp?: string;
}

export type DeviceStatus = OnlineStatus | OfflineStatus;

export interface Ack {
  v?: number;
  device_id: string;
  command_id: string | null;
  status: 'applied' | 'rejected';
  error: string | null;
  settings: DeviceSettings;
  firmware: string;
  timestamp: string;
}

/** One device as the dashboard server describes it (`GET /api/devices`, SSE `device`). */
export interface DeviceSummary {
  device_id: string;
  online: boolean;
  last_seen: string | null;
  firmware: string | null;
  settings: DeviceSettings | null;
  ota: OtaStatus | null;
  sensor: SensorStatus | null;
  alerte: boolean;
  /** The reading with the latest `trusted_at`. */
  latest: StoredReading | null;
  delivery: DeliveryFigures;
  /** From the device's last status; null for a device of contract 1 (or one that does not say). */
  epoch: string | null;
  epoch_reason: EpochReason | null;
  clock_synced: boolean | null;
}

/** The fleet's figures, in every `fleet` event of `GET /api/events`. */
export interface FleetCounts {
  devices: number;
  online: number;
  offline: number;
  alerting: number;
}

/** One device as the fleet list shows it: the latest reading's values (or null) and its lost readings. */
export interface FleetRow {
  device_id: string;
  online: boolean;
  alerte: boolean;
  last_seen: string | null;
  firmware: string | null;
  temperature: number | null;
  humidite: number | null;
  pression: number | null;
  batterie: number | null;
  lost: number;
}

/**
 * The SSE `fleet` event: the first one (`full`) has a row for every known device, the next ones (at most
 * about once a second) the rows that changed and the ids forgotten since. No `rows` with `fleet=counts`.
 */
export interface FleetEventData {
  full: boolean;
  counts: FleetCounts;
  rows?: FleetRow[];
  removed?: string[];
}

/** The SSE `forgotten` event: the watched device was forgotten (`DELETE /api/devices/:id`). */
export interface ForgottenEvent {
  device_id: string;
}

/** The fields a command may carry; at least one action. */
export interface CommandFields {
  mode?: Mode;
  intervalle?: number;
  seuil_alerte?: number;
  actif?: boolean;
  update_firmware?: string;
  read_now?: true;
  /** Calibration (a device of this release on): °C, %RH and hPa offsets, altitude in metres. */
  correction_temperature?: number;
  correction_humidite?: number;
  correction_pression?: number;
  altitude?: number;
}

/** A device id the server accepts (mirrors DEVICE_ID_PATTERN of shared/src/device-id.ts). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const MODES: readonly Mode[] = ['auto', 'manuel', 'economie'];
export const INTERVAL_MIN_S = 1;
export const INTERVAL_MAX_S = 60;
export const THRESHOLD_MIN_C = 15;
export const THRESHOLD_MAX_C = 45;
export const FIRMWARE_VERSION_PATTERN = /^v\d{1,4}\.\d{1,4}\.\d{1,4}(-[0-9A-Za-z][0-9A-Za-z.-]{0,31})?$/;

/** Access control, mirrored from dashboard/src/api-types.ts. */
export type RoleName = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly RoleName[] = ['viewer', 'operator', 'admin'];
/** The shortest password the server accepts (and the longest). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

/** `GET /api/me`; 401 without a session. */
export interface MeResponse {
  auth: 'on' | 'off';
  user: {
    name: string;
    role: RoleName;
    kind: 'user' | 'token' | 'anonymous';
    must_change_password: boolean;
  };
}

export interface LoginRequest {
  username: string;
  password: string;
}

export interface PasswordChangeRequest {
  current_password: string;
  new_password: string;
}

export type CommandOutcomeName = 'no_answer' | 'applied' | 'rejected' | 'not_sent';

/** One command of the trail: `GET /api/devices/:id/commands` and the SSE `command` event. */
export interface CommandLogEntry {
  command_id: string;
  device_id: string;
  sent_at: string;
  by: { name: string; kind: 'user' | 'token' | 'anonymous' | 'mqtt' };
  command: Record<string, unknown>;
  outcome: CommandOutcomeName;
  error: string | null;
  answered_at: string | null;
}

/** Newest first. */
export interface CommandLogResponse {
  device_id: string;
  commands: CommandLogEntry[];
}

export interface TokenSummary {
  id: string;
  name: string;
  role: RoleName;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface TokensResponse {
  tokens: TokenSummary[];
}

/** `POST /api/tokens`, 201: `token` is the secret, shown this once. */
export interface TokenCreatedResponse {
  token: string;
  info: TokenSummary;
}

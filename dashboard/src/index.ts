export { generatePassword, hashPassword, SCRYPT_COST, verifyPassword } from './access/passwords.js';
export {
  isRole,
  PASSWORD_ACCEPTED,
  ROLE_ACCEPTED,
  ROLE_CAN,
  ROLES,
  type Role,
  roleAtLeast,
  USERNAME_ACCEPTED,
} from './access/roles.js';
export { type ApiToken, TokenStore } from './access/token-store.js';
export {
  checkPassword,
  checkRole,
  checkUsername,
  type User,
  UserError,
  UserStore,
} from './access/user-store.js';
export type {
  CommandLogEntry,
  CommandLogResponse,
  CommandOutcomeName,
  CommandSuccessResponse,
  DashboardEventMap,
  DashboardEventName,
  DataResponse,
  DeviceSummary,
  DevicesResponse,
  ErrorResponse,
  HealthResponse,
  HistoryResponse,
  LoginRequest,
  MeResponse,
  PasswordChangeRequest,
  RoleName,
  TokenCreatedResponse,
  TokenSummary,
  TokensResponse,
} from './api-types.js';
export { AckWaiters } from './commands/ack-waiters.js';
export { CommandService, type CommandServiceDeps, WAIT_MAX_S } from './commands/command-service.js';
export {
  DATABASE_FILE,
  type DashboardConfig,
  type DashboardEnv,
  dashboardEnvSpec,
  loadDashboardConfig,
} from './config.js';
export { type RunningDashboard, type StartOptions, startDashboard } from './dashboard.js';
export * from './errors.js';
export { DashboardEvents } from './events.js';
export {
  applyAck,
  applyStatus,
  applyTelemetry,
  type DeviceRecord,
  newRecord,
  toSummary,
} from './fleet/device-record.js';
export { Fleet, type FleetDeps } from './fleet/fleet.js';
export { BODY_LIMIT_BYTES, buildDashboard, type Dashboard, type DashboardDeps } from './http/app.js';
export { DATA_LIMIT_DEFAULT, LIMIT_MAX } from './http/routes/data.js';
export { HISTORY_LIMIT_DEFAULT } from './http/routes/devices.js';
export { Ingest, type IngestDeps } from './ingest/ingest.js';
export { InvalidMessages } from './ingest/invalid-messages.js';
export {
  type BrokerConnection,
  type BrokerState,
  DASHBOARD_SUBSCRIPTIONS,
  type IncomingMessage,
  MqttBrokerConnection,
  type MqttBrokerOptions,
} from './mqtt/broker-connection.js';
export { CLIENT_ID_FILE, resolveClientId } from './mqtt/client-id.js';
export { defaultWebPaths, type WebPaths } from './paths.js';
export { RetentionJob, type RetentionOptions } from './storage/retention.js';
export {
  type RangeQuery,
  type RecentQuery,
  TelemetryStore,
  type TelemetryStoreOptions,
} from './storage/telemetry-store.js';

export {
  type AuthDecision,
  INITIAL_ADMIN_FILE,
  isLoopbackHost,
  type ResolveAuthOptions,
  removeInitialAdminFile,
  resolveAuth,
} from './access/auth-mode.js';
export { LoginThrottle, type LoginThrottleOptions } from './access/login-throttle.js';
export { generatePassword, hashPassword, SCRYPT_COST, verifyPassword } from './access/passwords.js';
export { ANONYMOUS, type Principal } from './access/principal.js';
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
export { keptSecret, SESSION_SECRET } from './access/secrets.js';
export { type SessionData, type SessionStore, SqliteSessionStore } from './access/session-store.js';
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
  BucketStats,
  CommandLogEntry,
  CommandLogResponse,
  CommandOutcomeName,
  CommandSuccessResponse,
  DashboardEventMap,
  DashboardEventName,
  DataResponse,
  DeliveryFigures,
  DeviceSummary,
  DevicesResponse,
  ErrorResponse,
  FleetCounts,
  FleetEventData,
  FleetMode,
  FleetRow,
  ForgottenEvent,
  HealthResponse,
  HistoryBucket,
  HistoryResponse,
  LoginRequest,
  MeResponse,
  PasswordChangeRequest,
  RoleName,
  StoredReading,
  StreamEventMap,
  StreamEventName,
  TokenCreatedResponse,
  TokenSummary,
  TokensResponse,
} from './api-types.js';
export { AckWaiters } from './commands/ack-waiters.js';
export { CommandService, type CommandServiceDeps, WAIT_MAX_S } from './commands/command-service.js';
export { CommandTrail, type SentCommand } from './commands/command-trail.js';
export { PgTrailStore } from './commands/pg-trail-store.js';
export { SqliteTrailStore } from './commands/sqlite-trail-store.js';
export type { TrailStore } from './commands/trail-store.js';
export {
  AUTH_SETTINGS,
  type AuthSetting,
  DATABASE_FILE,
  type DashboardConfig,
  type DashboardEnv,
  dashboardEnvSpec,
  loadDashboardConfig,
} from './config.js';
export {
  describeTrustProxy,
  type HttpsFiles,
  loadHttpsFiles,
  parseHostList,
  parseOriginList,
  parseTrustProxy,
  type TrustProxy,
} from './config-values.js';
export { type RunningDashboard, type StartOptions, startDashboard } from './dashboard.js';
export * from './errors.js';
export { DashboardEvents } from './events.js';
export {
  applyAck,
  applyAvailability,
  applyStatus,
  applyTelemetry,
  type DeviceRecord,
  isOnline,
  NO_DELIVERY,
  newRecord,
  toSummary,
} from './fleet/device-record.js';
export { Fleet, type FleetDeps } from './fleet/fleet.js';
export { FleetDraft, type FleetEvent } from './fleet/fleet-draft.js';
export { type RegistryRecoveryDeps, recoverRegistry } from './fleet/registry-recovery.js';
export { RegistryWriter, type RegistryWriterDeps } from './fleet/registry-writer.js';
export {
  CHANGE_PASSWORD_FIRST,
  LOGIN_NEEDED,
  roleRefusal,
  TOKEN_NOT_VALID,
} from './http/access/authenticate.js';
export type { Access, AccessOptions } from './http/access/install.js';
export { SESSION_COOKIE } from './http/access/sessions.js';
export { buildDashboard, type Dashboard, type DashboardDeps } from './http/app.js';
export { READING_CSV_COLUMNS } from './http/reading-csv.js';
export { DATA_LIMIT_DEFAULT, LIMIT_MAX } from './http/routes/data.js';
export { HISTORY_LIMIT_DEFAULT } from './http/routes/devices.js';
export { CSV_PAGE_ROWS } from './http/routes/history-csv.js';
export { LOGIN_RATE_LIMIT, LOGINS_OFF, type LoginRateLimit, WRONG_LOGIN } from './http/routes/login.js';
export { TRAIL_LIMIT_DEFAULT, TRAIL_LIMIT_MAX } from './http/routes/trail.js';
export { CONTENT_SECURITY_POLICY, HSTS_VALUE } from './http/security/headers.js';
export { HostAllowlist, hostnameOf } from './http/security/host-check.js';
export { BODY_LIMIT_BYTES } from './http/server.js';
export type { IngestChange, WrittenGroup } from './ingest/changes.js';
export { DeviceCap, type DeviceCapDeps } from './ingest/device-cap.js';
export { GroupCommit, type GroupCommitOptions, type WriteFailure } from './ingest/group-commit.js';
export { IgnoredFields } from './ingest/ignored-fields.js';
export { Ingest, type IngestDeps } from './ingest/ingest.js';
export { InvalidMessages } from './ingest/invalid-messages.js';
export { FUTURE_TOLERANCE_MS, trustedTime } from './ingest/trusted-time.js';
export {
  type BrokerConnection,
  type BrokerState,
  dashboardSubscriptions,
  type IncomingMessage,
  type MessageHandler,
  MqttBrokerConnection,
  type MqttBrokerOptions,
} from './mqtt/broker-connection.js';
export { CLIENT_ID_FILE, resolveClientId } from './mqtt/client-id.js';
export { HeldPubacks, type IncomingPublish } from './mqtt/held-pubacks.js';
export { LiveConnection, type LiveConnectionOptions } from './mqtt/live-connection.js';
export { LiveReadings, type LiveReadingsDeps } from './mqtt/live-readings.js';
export { ingestSubscriptions, plainFilter, sharedFilter, topicMatches } from './mqtt/subscriptions.js';
export { defaultWebPaths, type WebPaths } from './paths.js';
export { bucketWidth } from './storage/buckets.js';
export {
  type HistoryAnswer,
  type HistoryQuery,
  type HistoryStore,
  historyResponse,
} from './storage/history-store.js';
export { HistoryWorker, type HistoryWorkerOptions } from './storage/history-worker.js';
export { NewestReadings } from './storage/newest-readings.js';
export { PgReadingStore, type PgReadingStoreOptions } from './storage/postgres/pg-store.js';
export {
  postgresMissing,
  startTestPostgres,
  type TestPostgres,
} from './storage/postgres/test-server.js';
export type { ReadingStore, StorageEngine } from './storage/reading-store.js';
export { type ReadingToWrite, ReadingWriter, type WriteOutcome } from './storage/reading-writer.js';
export { RetentionJob, type RetentionOptions } from './storage/retention.js';
export { ROLLUP_BATCH, RollupJob, type RollupJobOptions } from './storage/rollup-job.js';
export type { RollupStep } from './storage/rollups.js';
export { SCHEMA_VERSION_DB } from './storage/schema.js';
export {
  type RecentQuery,
  TelemetryStore,
  type TelemetryStoreOptions,
} from './storage/telemetry-store.js';

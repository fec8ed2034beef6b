import type { Clock, Logger, Topics } from '@fleet/shared';
import type { AccessStores } from '../access/access-stores.js';
import type { AlertStorage } from '../alerts/alert-storage.js';
import type { AlertsOptions } from '../alerts/alerts.js';
import type { Leadership } from '../alerts/leadership.js';
import type { BrokerConnection, IncomingMessage } from '../mqtt/broker-connection.js';
import type { WebPaths } from '../paths.js';
import type { HistoryStore } from '../storage/history-store.js';
import type { ReadingStore } from '../storage/reading-store.js';
import type { SharedStores } from '../storage/shared-stores.js';
import type { TelemetryStore } from '../storage/telemetry-store.js';
import type { AccessOptions } from './access/install.js';
import type { ServerDeps } from './server.js';

/** What buildDashboard (app.ts) is given: the open stores, the broker connection, and the settings. */
export interface DashboardDeps {
  /** Open; the caller closes it. */
  store: TelemetryStore;
  /** Where history queries go (default: the store, on the main thread); the service passes a HistoryWorker. */
  history?: HistoryStore;
  /**
   * DATABASE_URL: the readings path on PostgreSQL (open; the caller closes it): readings, history, delivery
   * figures and the registry. `store` keeps the command trail and alerts, and users, tokens and sessions unless `accessStores` says otherwise.
   */
  readings?: ReadingStore;
  /** Started or not; the caller starts and stops it. */
  broker: BrokerConnection;
  /** The fleet's topics (MQTT_TOPIC_ROOT). */
  topics: Topics;
  logger: Logger;
  /** Logins (resolved from AUTH), session lifetime, allowed hosts and origins. */
  access: AccessOptions;
  /** Users, tokens, sessions and the cookie key: on `store`'s SQLite file unless given (PostgreSQL). */
  accessStores?: AccessStores;
  /** The command trail and the list of forgotten devices: on `store`'s SQLite file unless given (PostgreSQL). */
  sharedStores?: SharedStores;
  /** HTTPS (HTTPS_CERT/HTTPS_KEY) and TRUST_PROXY: how the server itself is made. */
  server?: ServerDeps['server'];
  clock?: Clock;
  webPaths?: WebPaths;
  /** Heartbeat comment of the event stream (default 15 s); streams whose login ended close then. */
  heartbeatMs?: number;
  /** Event stream clients at most (EVENT_STREAM_MAX_CLIENTS, default 2000). */
  eventStreamMaxClients?: number;
  /** Least time between two `fleet` events of the event stream (default 1 s). */
  fleetIntervalMs?: number;
  /** Commands waiting for their ack at most (default COMMAND_WAITS_MAX, 1000). */
  commandWaitsMax?: number;
  newCommandId?: () => string;
  /** Messages per transaction at most (default 4000, see Ingest; 1: a commit per message, for the benchmark). */
  maxGroup?: number;
  /** First delay between write attempts while the database fails (default 250 ms). */
  retryInitialMs?: number;
  /** Devices known at most (MAX_DEVICES, default 20 000); a new device beyond it is not stored. */
  maxDevices?: number;
  /** How alert notifications are sent (HTTP client, Telegram's API, retry delay, tick); default: for real. */
  alerts?: AlertsOptions;
  /** Alert rules, incidents and the queue (default: `store`'s SQLite file) and which replica evaluates them (default: this one). */
  alertStore?: AlertStorage;
  alertLeadership?: Leadership;
  /**
   * Replicas (MQTT_SHARE_GROUP): every reading's live copy (LiveConnection), whichever replica stores it;
   * readings are then announced from it (LiveReadings), not when stored. Absent (default): one dashboard,
   * which announces what it stores.
   */
  liveReadings?: { onMessage(handler: (message: IncomingMessage) => void): () => void };
}

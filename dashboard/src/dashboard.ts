import {
  brokerLabel,
  type Clock,
  createLogger,
  describeEnvConfig,
  type Logger,
  mqttTransportOptions,
  systemClock,
  Topics,
} from '@fleet/shared';
import pg from 'pg';
import { pgAccessStores, sqliteAccessStores } from './access/access-stores.js';
import { removeInitialAdminFile, resolveAuth } from './access/auth-mode.js';
import { PgLeadership } from './alerts/leadership.js';
import { PgAlertStore } from './alerts/pg-alert-store.js';
import { type DashboardConfig, dashboardEnvSpec } from './config.js';
import { describeTrustProxy } from './config-values.js';
import { HomeAssistant, homeAssistantSubscriptions } from './homeassistant/home-assistant.js';
import { buildDashboard, type Dashboard } from './http/app.js';
import { MqttBrokerConnection } from './mqtt/broker-connection.js';
import { resolveClientId } from './mqtt/client-id.js';
import { LiveConnection } from './mqtt/live-connection.js';
import type { WebPaths } from './paths.js';
import { HistoryWorker } from './storage/history-worker.js';
import { PgReadingStore } from './storage/postgres/pg-store.js';
import { RetentionJob } from './storage/retention.js';
import { RollupJob } from './storage/rollup-job.js';
import { pgSharedStores } from './storage/shared-stores.js';
import { TelemetryStore } from './storage/telemetry-store.js';

export interface RunningDashboard {
  dashboard: Dashboard;
  /** `http://host:port` the server listens on. */
  address: string;
  /** Closes HTTP, commits what waits, disconnects from the broker and closes the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  webPaths?: WebPaths;
}

/**
 * Starts the whole service from its configuration: database, history retention, HTTP server, then the
 * MQTT connection (which waits for a broker that is not up yet). Anything started is stopped again when a
 * later step fails.
 */
export async function startDashboard(
  config: DashboardConfig,
  options: StartOptions = {},
): Promise<RunningDashboard> {
  const logger = options.logger ?? createLogger('dashboard', config.logLevel);
  const clock = options.clock ?? systemClock;
  const topics = new Topics(config.topicRoot);
  const store = new TelemetryStore({
    path: config.databasePath,
    logger: logger.child({ component: 'storage' }),
    clock,
  });
  // DATABASE_URL: the readings path, users, tokens, sessions, the command trail and forgotten devices on PostgreSQL.
  const readings = config.databaseUrl
    ? new PgReadingStore({ url: config.databaseUrl, logger: logger.child({ component: 'postgres' }) })
    : null;
  const clientId = await resolveClientId(config.mqttClientId, config.dataDir);
  const transport = await mqttTransportOptions(config.mqtt);
  const broker = new MqttBrokerConnection({
    transport,
    clientId,
    topics,
    logger,
    shareGroup: config.mqttShareGroup,
  });
  // Replicas: every reading for the live push, on a connection of its own (see LiveConnection).
  const live = config.mqttShareGroup ? new LiveConnection({ transport, clientId, topics, logger }) : null;
  const retention = new RetentionJob({
    store: readings ?? store,
    clock,
    logger,
    historyDays: config.historyDays,
    rollupDays: config.rollupDays,
  });
  const rollups = new RollupJob({ store: readings ?? store, logger: logger.child({ component: 'rollups' }) });
  const history = new HistoryWorker({ store, logger: logger.child({ component: 'history' }) });
  let dashboard: Dashboard | null = null;
  let homeAssistant: HomeAssistant | null = null;

  const stop = async () => {
    await homeAssistant?.stop();
    await dashboard?.app.close();
    // What waits for its group's commit is committed, and its PUBACK released, before the connection closes.
    dashboard?.ingest.flush();
    await new Promise((resolve) => setImmediate(resolve));
    await broker.stop();
    await live?.stop();
    await retention.stop();
    await rollups.stop();
    await history.stop();
    dashboard?.dispose();
    await dashboard?.ingest.settled();
    store.close();
    await readings?.close();
  };

  try {
    store.open();
    await readings?.open();
    // Rollups catch up in the background (a database filled elsewhere); retention removes what they reached.
    rollups.start();
    await retention.start();
    // History queries on their own thread and connection: a long one does not hold the ingest.
    // (With DATABASE_URL, history is read from PostgreSQL on the pool: no thread on the local file.)
    if (!readings) history.start();
    const accessStores = readings
      ? pgAccessStores(readings.sharedPool(), clock)
      : sqliteAccessStores(store.database, clock);
    const users = accessStores.users;
    const auth = await resolveAuth({
      setting: config.auth,
      host: config.host,
      users,
      adminUser: config.adminUser,
      adminPassword: config.adminPassword,
      dataDir: config.dataDir,
      logger,
    });
    if (config.allowedHosts.includes('*')) {
      logger.warn(
        { allowed_hosts: config.allowedHosts },
        'ALLOWED_HOSTS=* answers any Host header: the guard against DNS rebinding is off. List the names the dashboard is reached by instead.',
      );
    }
    // Alerts in PostgreSQL too, evaluated and sent by the one replica that holds their advisory lock.
    const databaseUrl = config.databaseUrl;
    const alertLeadership =
      readings && databaseUrl
        ? new PgLeadership({
            client: () =>
              new pg.Client({
                connectionString: databaseUrl,
                application_name: 'fleet-dashboard-alerts-lock',
                keepAlive: true,
              }),
            logger,
          })
        : null;
    dashboard = await buildDashboard({
      store,
      history,
      ...(readings ? { readings } : {}),
      ...(readings && alertLeadership
        ? { alertStore: new PgAlertStore(readings.sharedPool(), alertLeadership), alertLeadership }
        : {}),
      broker,
      topics,
      logger,
      clock,
      accessStores,
      ...(readings ? { sharedStores: pgSharedStores(readings.sharedPool()) } : {}),
      access: {
        auth: auth.mode,
        sessionHours: config.sessionHours,
        allowedHosts: config.allowedHosts,
        certNames: config.https?.names ?? [],
        corsOrigins: config.corsOrigins,
        onPasswordChanged: async (username) => {
          if (username === config.adminUser) await removeInitialAdminFile(config.dataDir);
        },
      },
      server: {
        https: config.https ? { cert: config.https.cert, key: config.https.key } : null,
        trustProxy: config.trustProxy,
      },
      maxDevices: config.maxDevices,
      eventStreamMaxClients: config.eventStreamMaxClients,
      // Resolved alert incidents are history too: kept as long as the readings.
      alerts: { keepDays: config.historyDays },
      ...(live ? { liveReadings: live } : {}),
      ...(options.webPaths ? { webPaths: options.webPaths } : {}),
    });
    const address = await dashboard.app.listen({ port: config.port, host: config.host });
    if (config.haDiscovery === 'on') {
      // Before the broker connection starts: its subscriptions are made on the first connect.
      homeAssistant = new HomeAssistant({
        broker,
        fleet: dashboard.fleet,
        events: dashboard.events,
        commands: dashboard.commands,
        topics,
        clock,
        logger,
        prefix: config.haDiscoveryPrefix,
        latestFirmware: config.haLatestFirmware,
      });
      homeAssistant.start();
    } else {
      // Turned off: what an earlier run subscribed to for Home Assistant leaves the persistent session.
      broker.retire(homeAssistantSubscriptions(topics, config.haDiscoveryPrefix));
    }
    broker.start();
    live?.start();
    const userCount = await users.total();
    const authText =
      auth.mode === 'on'
        ? `logins on (${auth.reason}; ${userCount} user${userCount === 1 ? '' : 's'})`
        : `logins OFF (${auth.reason})`;
    const httpsText = config.https ? `HTTPS (${config.https.summary})` : 'plain HTTP';
    logger.info(
      {
        address,
        port: config.port,
        auth: auth.mode,
        auth_reason: auth.reason,
        users: userCount,
        https: config.https !== null,
        trust_proxy: config.trustProxy,
        broker: brokerLabel(config.mqtt),
        mqtt_user: config.mqtt.username,
        mqtt_client_id: clientId,
        mqtt_share_group: config.mqttShareGroup,
        topic_root: topics.root,
        fleet_role: config.fleetRole,
        database: config.databasePath,
        readings_database: readings ? readings.label : 'sqlite',
        access_database: accessStores.engine,
        history_days: config.historyDays,
        rollup_days: config.rollupDays,
        history_thread: history.threaded,
        home_assistant: homeAssistant ? homeAssistant.subscriptions : 'off',
        devices: dashboard.fleet.ids().length,
        config: describeEnvConfig(dashboardEnvSpec, config),
      },
      `Dashboard listening on ${address} (port ${config.port}); ${authText}; ${httpsText}; trust proxy: ${describeTrustProxy(config.trustProxy)}; MQTT broker ${brokerLabel(config.mqtt)}${config.mqtt.username ? ` as ${config.mqtt.username}` : ' (anonymous)'}, client id ${clientId}, topics ${topics.root}/{id}/…${config.mqttShareGroup ? ` (replica of share group ${config.mqttShareGroup}: readings stored through $share/${config.mqttShareGroup}/, pushed live from client ${live?.clientId} at QoS 0)` : ''}; database ${config.databasePath} (WAL, synchronous=FULL; a message is acknowledged once committed)${readings ? `; readings, history, the registry, users, tokens and sessions in PostgreSQL ${readings.label} (${readings.flavour})` : ''}; history kept ${config.historyDays} days (hourly rollups ${config.rollupDays} days); Home Assistant discovery ${homeAssistant ? `on under ${homeAssistant.ha.prefix}/ (commands from ${topics.allSets()})` : 'off'}`,
    );
    let stopping: Promise<void> | null = null;
    return {
      dashboard,
      address,
      stop: () => {
        stopping ??= stop().then(() => logger.info('Dashboard stopped'));
        return stopping;
      },
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

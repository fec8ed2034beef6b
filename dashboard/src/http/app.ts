import { systemClock } from '@fleet/shared';
import type { FastifyInstance } from 'fastify';
import { sqliteAccessStores } from '../access/access-stores.js';
import type { Tokens } from '../access/token-store.js';
import type { Users } from '../access/user-store.js';
import { AlertStore } from '../alerts/alert-store.js';
import { Alerts } from '../alerts/alerts.js';
import { CommandService } from '../commands/command-service.js';
import { CommandTrail } from '../commands/command-trail.js';
import { DashboardEvents } from '../events.js';
import { DeliveryRefresh } from '../fleet/delivery-refresh.js';
import { Fleet } from '../fleet/fleet.js';
import { recoverRegistry } from '../fleet/registry-recovery.js';
import { RegistryWriter } from '../fleet/registry-writer.js';
import { TombstoneRefresh } from '../fleet/tombstone-refresh.js';
import { Tombstones } from '../fleet/tombstones.js';
import { Ingest } from '../ingest/ingest.js';
import { FleetMetrics } from '../metrics/fleet-metrics.js';
import { LiveReadings } from '../mqtt/live-readings.js';
import { defaultWebPaths } from '../paths.js';
import { DeliveryTotals } from '../storage/delivery-totals.js';
import { DeviceRemoval } from '../storage/device-removal.js';
import { NewestReadings } from '../storage/newest-readings.js';
import { readingsPathParts } from '../storage/postgres/pg-service-parts.js';
import { sqliteSharedStores } from '../storage/shared-stores.js';
import { type Access, installAccess } from './access/install.js';
import { streamOwner } from './access/stream-owner.js';
import type { DashboardDeps } from './dashboard-deps.js';
import { installErrorHandling } from './error-handler.js';
import { alertRoutes } from './routes/alerts.js';
import { commandRoutes } from './routes/command.js';
import { dataRoutes } from './routes/data.js';
import { deviceRoutes } from './routes/devices.js';
import { eventRoutes } from './routes/events.js';
import { forgetRoutes } from './routes/forget.js';
import { healthRoutes } from './routes/health.js';
import { historyCsvRoutes } from './routes/history-csv.js';
import { metricsRoutes } from './routes/metrics.js';
import { pageRoutes } from './routes/page.js';
import { trailRoutes } from './routes/trail.js';
import { registerApiDocs } from './schema/api-docs.js';
import { installSchemaCompilers } from './schema/validation.js';
import { BODY_LIMIT_BYTES, createServer } from './server.js';
import { SseHub } from './sse-hub.js';

export type { DashboardDeps } from './dashboard-deps.js';

/** The dashboard's parts, wired together; `app` is the Fastify instance (use `app.inject()` in tests). */
export interface Dashboard {
  app: FastifyInstance;
  fleet: Fleet;
  ingest: Ingest;
  events: DashboardEvents;
  commands: CommandService;
  trail: CommandTrail;
  hub: SseHub;
  users: Users;
  tokens: Tokens;
  access: Access;
  alerts: Alerts;
  /** Stops listening to the broker, then commits what waits (if the database takes it). */
  dispose(): void;
  /** `app.close()` (ends event streams and ack waits), then `dispose()`. */
  close(): Promise<void>;
}

/**
 * Builds the dashboard on an open store and a broker connection: the fleet registry (loaded from the
 * store), the ingest of broker messages, commands and their trail, users and tokens, the event stream, the
 * guards in front of the routes, and the HTTP routes. Listens nowhere.
 */
export async function buildDashboard(deps: DashboardDeps): Promise<Dashboard> {
  const { store, broker, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const database = store.database;
  const events = new DashboardEvents();
  const removal = new DeviceRemoval(() => store.database);
  const shared = deps.sharedStores ?? sqliteSharedStores(database);
  const tombstones = new Tombstones({ store: shared.forgotten, logger });
  await tombstones.load();
  recoverRegistry({
    store,
    readings: new NewestReadings(database),
    logger,
    forgotten: (id) => tombstones.has(id),
  });
  const replicas = deps.liveReadings !== undefined;
  const readings = deps.readings ?? null;
  const pgParts = readings
    ? await readingsPathParts(readings, store, { logger, forgotten: (id) => tombstones.has(id) })
    : null;
  const registryStore = pgParts?.registry ?? store;
  const fleet = new Fleet({
    store: registryStore,
    removal: pgParts?.removal ?? removal,
    events,
    logger,
    clock,
    tombstones,
    liveReadings: replicas,
  });
  fleet.load();
  const registry = new RegistryWriter({
    store: registryStore,
    events,
    logger: logger.child({ component: 'storage' }),
  });
  registry.start();
  const trail = new CommandTrail(shared.trail, clock, events);
  const ingest = new Ingest({
    store,
    fleet,
    trail,
    topics: deps.topics,
    clock,
    logger,
    tombstones,
    registry,
    ...(readings ? { readings } : {}),
    ...(deps.maxDevices ? { maxDevices: deps.maxDevices } : {}),
    ...(deps.maxGroup ? { maxGroup: deps.maxGroup } : {}),
    ...(deps.retryInitialMs ? { retryInitialMs: deps.retryInitialMs } : {}),
  });
  const accessStores = deps.accessStores ?? sqliteAccessStores(database, clock);
  const { users, tokens } = accessStores;
  const commands = new CommandService({
    broker,
    topics: deps.topics,
    clock,
    fleet,
    events,
    trail,
    logger,
    ...(deps.newCommandId ? { newCommandId: deps.newCommandId } : {}),
    ...(deps.commandWaitsMax ? { maxWaits: deps.commandWaitsMax } : {}),
  });
  const hub = new SseHub({
    events,
    fleet,
    logger,
    ...(deps.heartbeatMs ? { heartbeatMs: deps.heartbeatMs } : {}),
    ...(deps.eventStreamMaxClients ? { maxClients: deps.eventStreamMaxClients } : {}),
    ...(deps.fleetIntervalMs ? { fleetIntervalMs: deps.fleetIntervalMs } : {}),
  });

  const alerts = new Alerts({
    store: deps.alertStore ?? new AlertStore(database),
    ...(deps.alertLeadership ? { leadership: deps.alertLeadership } : {}),
    events,
    fleet,
    clock,
    logger,
    ...deps.alerts,
  });
  await alerts.start();

  const live = replicas
    ? new LiveReadings({
        fleet,
        topics: deps.topics,
        clock,
        logger,
        ...(deps.maxDevices ? { maxDevices: deps.maxDevices } : {}),
      })
    : null;
  const detachBroker = broker.onMessage((message) => ingest.handle(message));
  const detachLive = live ? deps.liveReadings?.onMessage((message) => live.handle(message)) : undefined;
  const deliveryRefresh = replicas
    ? new DeliveryRefresh({
        fleet,
        read: readings ? () => readings.allDelivery() : () => store.allDelivery(),
        logger,
      })
    : null;
  deliveryRefresh?.start();
  // A database shared with other replicas: what they forget (or bring back) holds here within seconds.
  const tombstoneRefresh = replicas || readings ? new TombstoneRefresh({ tombstones, fleet, logger }) : null;
  tombstoneRefresh?.start();
  commands.start();
  hub.start();

  const app = createServer(deps);
  // Read your writes: messages waiting for their group's commit are committed before an API request reads.
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/api/')) ingest.flush();
  });
  // Before the server waits for open requests: end event streams and ack waits, so closing is quick.
  app.addHook('preClose', async () => {
    hub.stop();
    commands.stop();
    await alerts.stop();
  });
  installErrorHandling(app, logger, BODY_LIMIT_BYTES);
  installSchemaCompilers(app);
  await registerApiDocs(app);
  const access = await installAccess(app, {
    options: deps.access,
    stores: accessStores,
    users,
    tokens,
    hub,
    clock,
    logger,
  });
  await pageRoutes(app, deps.webPaths ?? defaultWebPaths());
  dataRoutes(app, { fleet, store: readings ?? store });
  deviceRoutes(app, { fleet, store: readings ?? deps.history ?? store });
  historyCsvRoutes(app, { fleet, store: readings ?? store, clock });
  trailRoutes(app, { fleet, trail });
  commandRoutes(app, { commands });
  forgetRoutes(app, { fleet });
  alertRoutes(app, { alerts, clock });
  eventRoutes(app, {
    hub,
    ownerOf: (principal) => streamOwner(principal, { sessions: access.sessions, users, tokens }),
  });
  healthRoutes(app, { broker, store: pgParts?.health ?? store, ingest });
  const delivery = pgParts?.deliveryTotals ?? new DeliveryTotals(database);
  const metrics = new FleetMetrics({ store, delivery, fleet, ingest, hub, trail });
  alerts.registerMetrics(metrics.registry);
  metricsRoutes(app, { metrics });
  await app.ready();

  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    detachBroker();
    detachLive?.();
    deliveryRefresh?.stop();
    tombstoneRefresh?.stop();
    trail.stop();
    ingest.flush();
    ingest.stop();
    registry.stop();
    void alerts.stop();
  };
  return {
    app,
    fleet,
    ingest,
    events,
    commands,
    trail,
    hub,
    users,
    tokens,
    access,
    alerts,
    dispose,
    close: async () => {
      await app.close();
      dispose();
    },
  };
}

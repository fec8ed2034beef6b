import {
  CommandTrail,
  DashboardEvents,
  Fleet,
  Ingest,
  RegistryWriter,
  SqliteTrailStore,
  type TelemetryStore,
} from '@fleet/dashboard';
import { type Logger, Topics } from '@fleet/shared';
import { capturingLogger, ManualClock, openStore, tempDir } from './fixtures.js';

/** A message as the broker connection hands it over. */
export const message = (topic: string, payload: unknown, retain = false) => ({
  topic,
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  retain,
});

export interface IngestParts {
  dir: Awaited<ReturnType<typeof tempDir>>;
  store: TelemetryStore;
  clock: ManualClock;
  events: DashboardEvents;
  fleet: Fleet;
  trail: CommandTrail;
  ingest: Ingest;
  /** Not started: `flush()` or `stop()` writes the registry as its timer would. */
  registry: RegistryWriter;
  log: ReturnType<typeof capturingLogger>;
  /** Hands a message to the ingest; resolves once it is committed. */
  handle(topic: string, payload: unknown, retain?: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Store, fleet, trail and ingest on a fresh database, wired as buildDashboard wires them. */
export async function ingestParts(
  options: {
    level?: 'debug' | 'info';
    topics?: Topics;
    logger?: Logger;
    maxGroup?: number;
    retryInitialMs?: number;
    maxDevices?: number;
  } = {},
): Promise<IngestParts> {
  const dir = await tempDir();
  const store = openStore(dir.path);
  const clock = new ManualClock(Date.parse('2025-03-01T12:00:00Z'));
  const log = capturingLogger(options.level ?? 'info');
  const logger = options.logger ?? log.logger;
  const events = new DashboardEvents();
  const fleet = new Fleet({ store, events, logger });
  fleet.load();
  const trail = new CommandTrail(new SqliteTrailStore(store.database), clock, events);
  const registry = new RegistryWriter({ store, events, logger });
  const ingest = new Ingest({
    store,
    fleet,
    trail,
    registry,
    topics: options.topics ?? new Topics(),
    clock,
    logger,
    ...(options.maxGroup ? { maxGroup: options.maxGroup } : {}),
    ...(options.retryInitialMs ? { retryInitialMs: options.retryInitialMs } : {}),
    ...(options.maxDevices ? { maxDevices: options.maxDevices } : {}),
  });
  return {
    dir,
    store,
    clock,
    events,
    fleet,
    trail,
    ingest,
    registry,
    log,
    handle: (topic, payload, retain = false) => ingest.handle(message(topic, payload, retain)),
    close: async () => {
      ingest.stop();
      store.close();
      await dir.remove();
    },
  };
}

import { statSync } from 'node:fs';
import { Counter, Gauge, Registry } from 'prom-client';
import type { CommandOutcomeName, DeliveryFigures, FleetCounts } from '../api-types.js';

export interface FleetMetricsDeps {
  /** The database: whether it answers, and its file. */
  store: { isHealthy(): boolean; readonly path: string };
  /** The fleet's delivery figures summed (received, lost, conflicts); throws when the database does not answer. */
  delivery: { read(): DeliveryFigures };
  fleet: { counts(): FleetCounts };
  ingest: {
    readonly pending: number;
    readonly failing: unknown;
    readonly invalid: { total(): number };
  };
  hub: { readonly size: number };
  /** The command trail's counts by outcome (a promise from PostgreSQL: read before the metrics). */
  trail: {
    outcomeCounts(): Record<CommandOutcomeName, number> | Promise<Record<CommandOutcomeName, number>>;
  };
}

/** The outcomes that are final once reached: their counts only grow (the trail is never pruned). */
const FINAL_OUTCOMES = ['applied', 'rejected', 'not_sent'] as const;

/**
 * The dashboard's Prometheus metrics, on a registry of its own. Every value is read when scraped (collect
 * callbacks): no timer, nothing counted twice. What several metrics share is read once per scrape (`text()`): the
 * fleet's counts, the delivery figures and the command trail (from the database, so the counters survive
 * restarts).
 */
export class FleetMetrics {
  readonly registry = new Registry();
  private delivery: DeliveryFigures | null = null;
  private outcomes: Record<CommandOutcomeName, number> | null = null;
  private counts: FleetCounts | null = null;

  constructor(private readonly deps: FleetMetricsDeps) {
    const registers = [this.registry];
    const self = this;
    const totalOf = (field: keyof DeliveryFigures) =>
      function (this: Counter) {
        const figures = self.deliveryTotals();
        if (!figures) return; // the database does not answer: the last values read stay
        this.reset();
        this.inc(figures[field]);
      };
    new Counter({
      name: 'fleet_readings_received_total',
      help: 'Readings stored, each (device, epoch, seq) once, from the delivery figures (a forgotten device leaves them).',
      registers,
      collect: totalOf('received'),
    });
    new Counter({
      name: 'fleet_readings_conflicts_total',
      help: 'Redeliveries of a reading that differed from the stored copy, from the delivery figures.',
      registers,
      collect: totalOf('conflicts'),
    });
    new Gauge({
      name: 'fleet_readings_lost',
      help: 'Readings missing from the seq ranges received (sum of lost in the delivery figures); a late copy lowers it.',
      registers,
      collect() {
        const figures = self.deliveryTotals();
        if (figures) this.set(figures.lost);
      },
    });
    new Counter({
      name: 'fleet_messages_invalid_total',
      help: 'MQTT messages ignored as invalid (contract, size or topic) since the dashboard started.',
      registers,
      collect() {
        this.reset();
        this.inc(deps.ingest.invalid.total());
      },
    });
    const fleetGauge = (name: string, help: string, field: keyof FleetCounts) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(self.fleetCounts()[field]);
        },
      });
    fleetGauge('fleet_devices', 'Devices the dashboard knows.', 'devices');
    fleetGauge('fleet_devices_online', 'Devices online now.', 'online');
    fleetGauge('fleet_devices_offline', 'Devices offline now.', 'offline');
    fleetGauge('fleet_devices_alerting', 'Devices whose alert is on now.', 'alerting');
    new Gauge({
      name: 'fleet_ingest_pending_messages',
      help: 'Messages received and waiting for their commit (unacknowledged to the broker until then).',
      registers,
      collect() {
        this.set(deps.ingest.pending);
      },
    });
    new Gauge({
      name: 'fleet_database_failing',
      help: '1 while the database does not answer or cannot be written (see GET /healthz), else 0.',
      registers,
      collect() {
        this.set(deps.ingest.failing !== null || !deps.store.isHealthy() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'fleet_database_size_bytes',
      help: "The database file's size with its write-ahead log, in bytes.",
      registers,
      collect() {
        this.set(fileBytes(deps.store.path) + fileBytes(`${deps.store.path}-wal`));
      },
    });
    new Gauge({
      name: 'fleet_event_stream_clients',
      help: 'Clients of the event stream (GET /api/events) now.',
      registers,
      collect() {
        this.set(deps.hub.size);
      },
    });
    new Counter({
      name: 'fleet_commands_total',
      help: 'Commands by final outcome, from the command trail: applied or rejected by the device, not_sent (the broker did not take it).',
      labelNames: ['outcome'],
      registers,
      collect() {
        const counts = self.outcomeCounts();
        if (!counts) return;
        this.reset();
        for (const outcome of FINAL_OUTCOMES) this.inc({ outcome }, counts[outcome]);
      },
    });
    new Gauge({
      name: 'fleet_commands_unanswered',
      help: 'Commands the broker took whose ack has not come (outcome no_answer in the trail); an ack lowers it.',
      registers,
      collect() {
        const counts = self.outcomeCounts();
        if (counts) this.set(counts.no_answer);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text of every metric, read now. */
  async text(): Promise<string> {
    this.delivery = null;
    this.counts = null;
    try {
      this.outcomes = await this.deps.trail.outcomeCounts();
    } catch {
      this.outcomes = null; // the database does not answer: the last values read stay
    }
    return this.registry.metrics();
  }

  /** The fleet's counts, once per scrape (four gauges read them). */
  private fleetCounts(): FleetCounts {
    this.counts ??= this.deps.fleet.counts();
    return this.counts;
  }

  private deliveryTotals(): DeliveryFigures | null {
    if (this.delivery) return this.delivery;
    try {
      this.delivery = this.deps.delivery.read();
    } catch {
      return null;
    }
    return this.delivery;
  }

  /** The trail's counts read by `text()`; null when they could not be. */
  private outcomeCounts(): Record<CommandOutcomeName, number> | null {
    return this.outcomes;
  }
}

/** A file's size in bytes; 0 when it does not exist (no WAL yet, or an in-memory database). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

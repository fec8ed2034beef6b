import type { Logger, MqttTransportOptions, Topics } from '@fleet/shared';
import type { DevicePorts } from '../device/compose-device.js';
import type { EdgeSettings } from '../device/settings.js';
import { type SimulatedDevice, simulatedDevice } from './simulated-device.js';

/** How often the gradual start looks at what is due. */
const START_TICK_MS = 50;

export interface FleetSimulatorOptions {
  /** The devices, in the order they are started. */
  ids: readonly string[];
  topics: Topics;
  /** The broker, with this device's login. */
  transportFor: (deviceId: string) => MqttTransportOptions;
  /** The settings every device starts with. */
  settings: EdgeSettings;
  firmware: string;
  /** Devices started per second. */
  rate: number;
  /** The simulator's own log (state changes). */
  logger: Logger;
  /** The log of one device. */
  deviceLogger: (deviceId: string) => Logger;
  /** Overrides for every device (e.g. a faster OTA in tests). */
  device?: DevicePorts['device'];
  link?: DevicePorts['link'];
  /** Milliseconds from a monotonic clock (default performance.now). */
  now?: () => number;
}

/** The fleet at one moment. */
export interface FleetStats {
  devices: number;
  /** Devices whose connection was started. */
  started: number;
  /** Devices connected to the broker now. */
  connected: number;
  /** Messages the broker acknowledged (readings, statuses, availability, acks), since start. */
  published: number;
  /** Readings the broker acknowledged, since start. */
  delivered: number;
  /** Readings waiting in the devices' outboxes. */
  queued: number;
  /** Readings dropped by full outboxes. */
  dropped: number;
}

/**
 * Many simulated devices in one process, each its own MQTT client and persistent session. `start()` starts
 * them gradually, `rate` per second (a broker, and this process's event loop, take a burst of thousands of
 * TLS handshakes badly); `stop()` stops them all, each saying goodbye (`offline`) and disconnecting cleanly.
 */
export class FleetSimulator {
  private readonly running: SimulatedDevice[] = [];
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private startedAt = 0;
  private connectedCount = 0;
  private allConnectedAt: number | null = null;
  private stopping: Promise<void> | null = null;
  private allStarted: () => void = () => undefined;
  /** Resolves once every device's connection was started. */
  readonly started: Promise<void>;

  constructor(private readonly options: FleetSimulatorOptions) {
    this.now = options.now ?? (() => performance.now());
    this.started = new Promise((resolve) => {
      this.allStarted = resolve;
    });
  }

  /** The devices started so far, in order. */
  get devices(): readonly SimulatedDevice[] {
    return this.running;
  }

  /** Seconds from `start()` until every device was connected at once, or null until then. */
  get connectSeconds(): number | null {
    return this.allConnectedAt === null ? null : (this.allConnectedAt - this.startedAt) / 1000;
  }

  start(): void {
    if (this.timer || this.stopping) return;
    this.startedAt = this.now();
    this.options.logger.info(
      { devices: this.options.ids.length, rate: this.options.rate },
      `starting ${this.options.ids.length} devices, ${this.options.rate} per second`,
    );
    this.startDue();
    if (this.running.length < this.options.ids.length) {
      this.timer = setInterval(() => this.startDue(), START_TICK_MS);
    }
  }

  stats(): FleetStats {
    const stats: FleetStats = {
      devices: this.options.ids.length,
      started: this.running.length,
      connected: this.connectedCount,
      published: 0,
      delivered: 0,
      queued: 0,
      dropped: 0,
    };
    for (const { link, device, storage } of this.running) {
      stats.published += link.stats.published;
      stats.delivered += device.delivered;
      stats.queued += storage.outbox.size;
      stats.dropped += storage.outbox.dropped;
    }
    return stats;
  }

  /** Stops starting devices and stops those started, all at once; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.allStarted();
      await Promise.all(this.running.map(({ device }) => device.stop()));
    })();
    return this.stopping;
  }

  /** Starts the devices due by now at `rate` per second. */
  private startDue(): void {
    const { ids, rate } = this.options;
    const elapsedS = (this.now() - this.startedAt) / 1000;
    const due = Math.min(ids.length, Math.floor(elapsedS * rate) + 1);
    while (this.running.length < due && !this.stopping) this.startOne(ids[this.running.length] as string);
    if (this.running.length === ids.length) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.allStarted();
    }
  }

  private startOne(deviceId: string): void {
    const { options } = this;
    const simulated = simulatedDevice({
      deviceId,
      topics: options.topics,
      transport: options.transportFor(deviceId),
      logger: options.deviceLogger(deviceId),
      settings: options.settings,
      firmware: options.firmware,
      ...(options.device ? { device: options.device } : {}),
      ...(options.link ? { link: options.link } : {}),
    });
    simulated.link.onConnectionChange((connected) => this.connectionChanged(connected));
    this.running.push(simulated);
    simulated.device.start();
  }

  private connectionChanged(connected: boolean): void {
    this.connectedCount += connected ? 1 : -1;
    if (this.allConnectedAt !== null || this.connectedCount < this.options.ids.length) return;
    this.allConnectedAt = this.now();
    this.options.logger.info(
      { devices: this.connectedCount, connect_s: round(this.connectSeconds ?? 0, 2) },
      `all ${this.connectedCount} devices connected, ${round(this.connectSeconds ?? 0, 1)} s after the start`,
    );
  }
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

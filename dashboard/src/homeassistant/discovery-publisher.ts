import type { Logger } from '@fleet/shared';
import type { DeviceSummary } from '../api-types.js';
import { counted } from '../counted.js';
import type { DashboardEvents } from '../events.js';
import type { Fleet } from '../fleet/fleet.js';
import type { BrokerConnection } from '../mqtt/broker-connection.js';
import {
  type DiscoveryContext,
  discoveryInputs,
  discoveryKey,
  discoveryPayload,
} from './discovery-payload.js';
import { latestFirmware } from './latest-firmware.js';

export interface DiscoveryPublisherDeps {
  broker: Pick<BrokerConnection, 'connected' | 'publish'>;
  fleet: Pick<Fleet, 'ids' | 'summary'>;
  events: DashboardEvents;
  context: DiscoveryContext;
  /** HA_LATEST_FIRMWARE: the version offered to every device; null: the newest running in the fleet. */
  configuredLatest: string | null;
  logger: Logger;
  /** Pause after each publish (default 2 ms): thousands of devices are published in a paced loop. */
  paceMs?: number;
  /** Wait before trying again while the broker is unreachable or refused a publish (default 1 s). */
  retryMs?: number;
}

type Work = 'publish' | 'remove';

/**
 * Keeps every known device's discovery on the broker, retained: all of them at start and whenever Home
 * Assistant announces itself (`republishAll`), one device when it appears or its discovery changes (sensor,
 * firmware, firmware offered; not on a reading), and an empty retained payload, which removes it from Home
 * Assistant, when it is forgotten. The work waits in a queue of at most one entry per device, which one loop
 * publishes a device at a time, each publish waiting for its PUBACK and followed by a pause: the ingest is
 * never held, and a broker that is away only delays it.
 */
export class DiscoveryPublisher {
  private readonly queue = new Map<string, Work>();
  /** The discovery key of each device as last published. */
  private readonly published = new Map<string, string>();
  /** The firmware each device runs, for the newest in the fleet. */
  private readonly firmware = new Map<string, string | null>();
  private latest: string | null = null;
  private readonly log: Logger;
  private unsubscribe: Array<() => void> = [];
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private stopped = true;
  /** Devices published since the queue was last empty, for the log line of a full round. */
  private round = 0;

  constructor(private readonly deps: DiscoveryPublisherDeps) {
    this.log = deps.logger.child({ component: 'homeassistant' });
  }

  /** Devices waiting for their discovery to be published or removed. */
  get waiting(): number {
    return this.queue.size;
  }

  /** Listens to the fleet and queues every known device. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const id of this.deps.fleet.ids())
      this.firmware.set(id, this.deps.fleet.summary(id)?.firmware ?? null);
    this.latest = this.computeLatest();
    this.unsubscribe = [
      this.deps.events.on('device', (summary) => this.deviceChanged(summary)),
      this.deps.events.on('forgotten', ({ device_id }) => this.forgotten(device_id)),
    ];
    this.republishAll('start');
  }

  /** Stops listening; what waits is dropped (the next start publishes every device again). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake?.();
    await this.running;
    this.queue.clear();
  }

  /** Queues every known device's discovery (at start, and when Home Assistant comes online). */
  republishAll(why: 'start' | 'homeassistant_online'): void {
    if (this.stopped) return;
    const ids = this.deps.fleet.ids();
    for (const id of ids) this.queue.set(id, 'publish');
    this.log.info(
      { devices: ids.length, reason: why, prefix: this.deps.context.ha.prefix },
      why === 'start'
        ? `Publishing the Home Assistant discovery of ${counted(ids.length, 'device')}`
        : `Home Assistant came online: publishing the discovery of ${counted(ids.length, 'device')} again`,
    );
    this.pump();
  }

  private deviceChanged(summary: DeviceSummary): void {
    const id = summary.device_id;
    const before = this.firmware.get(id);
    this.firmware.set(id, summary.firmware);
    if (before !== summary.firmware && this.deps.configuredLatest === null) {
      const latest = this.computeLatest();
      if (latest !== this.latest) {
        this.log.info(
          { from: this.latest, to: latest },
          'The firmware offered to Home Assistant changed (the newest in the fleet): republishing every device',
        );
        this.latest = latest;
        for (const known of this.deps.fleet.ids()) this.queue.set(known, 'publish');
      }
    }
    const key = discoveryKey(discoveryInputs(summary, this.latest));
    if (this.queue.get(id) !== 'publish' && this.published.get(id) !== key) this.queue.set(id, 'publish');
    this.pump();
  }

  private forgotten(deviceId: string): void {
    this.firmware.delete(deviceId);
    this.queue.set(deviceId, 'remove');
    this.pump();
  }

  private computeLatest(): string | null {
    return latestFirmware(this.deps.configuredLatest, this.firmware.values());
  }

  private pump(): void {
    if (this.running || this.stopped || this.queue.size === 0) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      // Work queued while the last publish finished.
      this.pump();
    });
  }

  private async drain(): Promise<void> {
    const pace = this.deps.paceMs ?? 2;
    const retry = this.deps.retryMs ?? 1000;
    while (!this.stopped && this.queue.size > 0) {
      if (!this.deps.broker.connected) {
        await this.sleep(retry);
        continue;
      }
      const [id, work] = this.queue.entries().next().value as [string, Work];
      this.queue.delete(id);
      try {
        if (work === 'remove') await this.remove(id);
        else await this.publish(id);
      } catch (error) {
        // Not taken: it goes back in the queue unless newer work for the device came meanwhile.
        if (!this.queue.has(id)) this.queue.set(id, work);
        this.log.warn(
          { device_id: id, err: (error as Error).message },
          'Home Assistant discovery not published; trying again',
        );
        await this.sleep(retry);
        continue;
      }
      if (this.queue.size === 0 && this.round > 0) {
        this.log.info(
          { devices: this.round },
          `Home Assistant discovery published for ${counted(this.round, 'device')}`,
        );
        this.round = 0;
      }
      await this.sleep(pace);
    }
  }

  private async publish(id: string): Promise<void> {
    const summary = this.deps.fleet.summary(id);
    if (!summary) return;
    const inputs = discoveryInputs(summary, this.latest);
    const payload = discoveryPayload(inputs, this.deps.context);
    await this.deps.broker.publish(this.deps.context.ha.deviceConfig(id), JSON.stringify(payload), {
      retain: true,
    });
    this.published.set(id, discoveryKey(inputs));
    this.round += 1;
    this.log.debug(
      { device_id: id, source: inputs.source, firmware: inputs.firmware },
      'Discovery published',
    );
  }

  private async remove(id: string): Promise<void> {
    // A device that came back meanwhile is published again by its next change.
    await this.deps.broker.publish(this.deps.context.ha.deviceConfig(id), '', { retain: true });
    this.published.delete(id);
    this.log.info({ device_id: id }, 'Home Assistant discovery removed (device forgotten)');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.wake = null;
        resolve();
      }, ms);
    });
  }
}

import { type OnlineStatus, SCHEMA_VERSION, type Telemetry, Topics } from '@fleet/shared';
import type { MqttClient } from 'mqtt';
import { onlineStatus, telemetry } from '../server/fixtures.js';

const DAY_MS = 86_400_000;

/** Which contract a scripted device speaks: 2 (`v`, epoch, availability) or 1 (the previous release). */
export type ContractVersion = 1 | 2;

export interface ScriptedDeviceOptions {
  contract: ContractVersion;
  /** Contract 2: the storage epoch its seq counts in, and why it began. */
  epoch?: string;
  epochReason?: OnlineStatus['epoch_reason'];
  /** Contract 2: whether its clock is synchronised; a device whose clock is not set is a year behind. */
  clockSynced?: boolean;
}

/**
 * A device played by the test over the real broker: it publishes exactly the status, availability and
 * readings the test asks for (skipped seq numbers make real gaps), in the wire format of its contract.
 */
export class ScriptedDevice {
  private readonly topics = new Topics();
  private clockSynced: boolean;

  constructor(
    private readonly client: MqttClient,
    readonly deviceId: string,
    private readonly options: ScriptedDeviceOptions,
  ) {
    this.clockSynced = options.clockSynced ?? true;
  }

  /** Says it is online: the retained availability (contract 2) and the retained status. */
  async connect(): Promise<void> {
    if (this.options.contract === 2) {
      await this.client.publishAsync(this.topics.availability(this.deviceId), 'online', {
        qos: 1,
        retain: true,
      });
    }
    await this.publishStatus();
  }

  /** Its clock gets set (NTP synchronised): a new status says so, and its readings carry the right time. */
  async clockSet(): Promise<void> {
    this.clockSynced = true;
    await this.publishStatus();
  }

  /** Publishes one reading per seq, in order, each acknowledged by the broker (QoS 1). */
  async publishReadings(seqs: readonly number[], overrides: Partial<Telemetry> = {}): Promise<void> {
    for (const seq of seqs) {
      await this.client.publishAsync(
        this.topics.data(this.deviceId),
        JSON.stringify({ ...this.reading(seq), ...overrides }),
        { qos: 1 },
      );
    }
  }

  private reading(seq: number): Telemetry {
    const contract2 =
      this.options.contract === 2
        ? { v: SCHEMA_VERSION, epoch: this.options.epoch, clock_synced: this.clockSynced }
        : {};
    return telemetry({
      ...contract2,
      device_id: this.deviceId,
      timestamp: this.deviceTime(),
      temperature: 21 + (seq % 10) / 10,
      uptime: 60 + seq,
      seq,
    });
  }

  private async publishStatus(): Promise<void> {
    const contract2 =
      this.options.contract === 2
        ? {
            v: SCHEMA_VERSION,
            epoch: this.options.epoch,
            epoch_reason: this.options.epochReason,
            clock_synced: this.clockSynced,
          }
        : {};
    const now = this.deviceTime();
    const status = onlineStatus(this.deviceId, { ...contract2, seuil_alerte: 45, timestamp: now });
    status.ota.updated_at = now;
    await this.client.publishAsync(this.topics.status(this.deviceId), JSON.stringify(status), {
      qos: 1,
      retain: true,
    });
  }

  /** The device's wall clock: a year behind until it is set, like a Pi without an RTC before NTP. */
  private deviceTime(): string {
    return new Date(Date.now() - (this.clockSynced ? 0 : 365 * DAY_MS)).toISOString();
  }
}

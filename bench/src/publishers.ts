import { Topics } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { Pacer } from './pacer.js';
import { payload } from './telemetry.js';

const topics = new Topics();

/** Several MQTT clients publishing on behalf of many devices, so that one socket is not the bottleneck. */
export class Publishers {
  private readonly seqs = new Map<string, number>();
  failed = 0;
  private nextDevice = 0;

  private constructor(
    private readonly clients: MqttClient[],
    private readonly devices: readonly string[],
    private readonly epoch: string,
  ) {
    for (const device of devices) this.seqs.set(device, 0);
  }

  /** `count` clients connected to `url` (clean sessions), for `devices` (assigned round robin). */
  static async connect(options: {
    url: string;
    count: number;
    devices: readonly string[];
    epoch: string;
    name: string;
  }): Promise<Publishers> {
    const clients = await Promise.all(
      Array.from({ length: options.count }, (_, index) =>
        mqtt.connectAsync(options.url, {
          clientId: `${options.name}-${index}-${process.pid}`,
          protocolVersion: 4,
          clean: true,
          reconnectPeriod: 0,
        }),
      ),
    );
    // Without Nagle, as the dashboard's own socket: a paced reading leaves at once.
    for (const client of clients)
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    return new Publishers(clients, options.devices, options.epoch);
  }

  /** Publishes the next reading of the next device (round robin) at QoS 1, stamped with the time now. */
  publishNext(onAck?: () => void): void {
    const index = this.nextDevice;
    this.nextDevice = (index + 1) % this.devices.length;
    const device = this.devices[index] as string;
    const seq = this.seqs.get(device) ?? 0;
    this.seqs.set(device, seq + 1);
    const client = this.clients[index % this.clients.length] as MqttClient;
    client.publish(topics.data(device), payload(device, seq, Date.now(), this.epoch), { qos: 1 }, (error) => {
      if (error) this.failed += 1;
      onAck?.();
    });
  }

  /** Publishes `total` readings as fast as the broker acknowledges them, at most `window` unacknowledged. */
  async backlog(total: number, window = 2000): Promise<void> {
    let sent = 0;
    let acked = 0;
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (sent < total && sent - acked < window) {
          sent += 1;
          this.publishNext(() => {
            acked += 1;
            if (acked === total) resolve();
            else if (acked % 256 === 0) setImmediate(pump);
          });
        }
      };
      if (total === 0) resolve();
      else pump();
    });
  }

  /** Publishes at `rate` per second for `seconds`; resolves with how many were sent once all are acknowledged. */
  async paced(rate: number, seconds: number): Promise<number> {
    const started = performance.now();
    const pacer = new Pacer(rate, started);
    let acked = 0;
    await new Promise<void>((resolve) => {
      const end = started + seconds * 1000;
      const tick = () => {
        const now = performance.now();
        // A tick late past the end still sends what was due by the end: rate × seconds in all, however
        // late the timer fires on a loaded machine.
        const n = pacer.take(Math.min(now, end));
        for (let i = 0; i < n; i++) this.publishNext(() => (acked += 1));
        if (now < end) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
    const deadline = Date.now() + 30_000;
    while (acked < pacer.total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return pacer.total;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.endAsync().catch(() => undefined)));
  }
}

import type { SensorStatus, Telemetry } from '@fleet/shared';
import type { HealthySensor, TelemetryQueue } from '../../src/device/ports.js';
import type { AlertLed } from '../../src/gpio/types.js';
import type { MessageLink, PublishOptions } from '../../src/mqtt/types.js';
import type { ReadingIdentity } from '../../src/outbox/sqlite-outbox.js';
import type { Reading } from '../../src/sensor/types.js';

export interface Published {
  topic: string;
  payload: string;
  retain: boolean;
  json: unknown;
}

/**
 * An in-memory MQTT link. `autoAck` (default) acknowledges every publish at once while connected;
 * otherwise publishes wait in `unacked` until `ackNext()`. Going down leaves them waiting, like mqtt.js,
 * which sends them again on reconnect.
 */
export class FakeLink implements MessageLink {
  readonly published: Published[] = [];
  readonly unacked: Array<{ message: Published; resolve: () => void; reject: (error: Error) => void }> = [];
  autoAck = true;
  started = false;
  stopped = false;
  private isConnected = false;
  private statusProvider: (() => string) | null = null;
  private commandHandlers: Array<(payload: Buffer) => Promise<unknown>> = [];
  private connectionHandlers: Array<(connected: boolean) => void> = [];

  constructor(readonly deviceId = 'dev-1') {}

  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    this.started = true;
  }

  async stop(): Promise<void> {
    if (this.isConnected) {
      this.record(
        `devices/${this.deviceId}/status`,
        JSON.stringify({ device_id: this.deviceId, online: false }),
        true,
      );
    }
    this.stopped = true;
    for (const entry of this.unacked.splice(0)) entry.reject(new Error('The MQTT link stopped.'));
    this.isConnected = false;
  }

  publish(topic: string, payload: string, options: PublishOptions = {}): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('The MQTT link is not running.'));
    return new Promise((resolve, reject) => {
      if (this.autoAck && this.isConnected) {
        this.record(topic, payload, options.retain ?? false);
        resolve();
        return;
      }
      const message = this.toMessage(topic, payload, options.retain ?? false);
      this.unacked.push({ message, resolve, reject });
    });
  }

  /** Acknowledges the oldest waiting publish: it counts as published from now on. */
  ackNext(): boolean {
    const entry = this.unacked.shift();
    if (!entry) return false;
    this.published.push(entry.message);
    entry.resolve();
    return true;
  }

  setOnlineStatus(provider: () => string): void {
    this.statusProvider = provider;
  }

  onCommand(handler: (payload: Buffer) => Promise<unknown>): void {
    this.commandHandlers.push(handler);
  }

  onConnectionChange(handler: (connected: boolean) => void): void {
    this.connectionHandlers.push(handler);
  }

  /** Like a (re)connect: the retained online status first, then the waiting publishes, then listeners. */
  goOnline(): void {
    this.isConnected = true;
    if (this.statusProvider) this.record(`devices/${this.deviceId}/status`, this.statusProvider(), true);
    if (this.autoAck) while (this.ackNext()) {}
    for (const handler of this.connectionHandlers) handler(true);
  }

  goOffline(): void {
    this.isConnected = false;
    for (const handler of this.connectionHandlers) handler(false);
  }

  /** Hands a command to the handlers; resolves when the PUBACK would go out (every handler settled). */
  sendCommand(payload: unknown): Promise<unknown> {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return Promise.all(this.commandHandlers.map((handler) => handler(Buffer.from(text))));
  }

  on(suffix: string): Published[] {
    return this.published.filter((message) => message.topic.endsWith(`/${suffix}`));
  }

  last(suffix: string): Published | undefined {
    return this.on(suffix).at(-1);
  }

  private record(topic: string, payload: string, retain: boolean): void {
    this.published.push(this.toMessage(topic, payload, retain));
  }

  private toMessage(topic: string, payload: string, retain: boolean): Published {
    return { topic, payload, retain, json: JSON.parse(payload) as unknown };
  }
}

/** A sensor that gives its temperature, humidity and pressure (settable), or nothing while not `healthy`. */
export class FakeSensor implements HealthySensor {
  temperature = 22;
  humidite: number | null = 45.5;
  pression = 1013.2;
  healthy = true;
  reads = 0;
  closed = false;
  private listeners = new Set<(status: SensorStatus) => void>();

  async read(): Promise<Reading | null> {
    if (!this.healthy) return null;
    this.reads += 1;
    return { temperature: this.temperature, humidite: this.humidite, pression: this.pression };
  }

  status(): SensorStatus {
    return {
      source: 'synthetic',
      bus: null,
      address: null,
      healthy: this.healthy,
      error: this.healthy ? null : 'I2C read failed',
    };
  }

  onChange(listener: (status: SensorStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setHealthy(healthy: boolean): void {
    this.healthy = healthy;
    for (const listener of this.listeners) listener(this.status());
  }

  start(): void {}

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The outbox port in memory, for the publisher's own tests (the device's tests use the real database). */
export class MemoryOutbox implements TelemetryQueue {
  readonly items: Telemetry[] = [];

  get size(): number {
    return this.items.length;
  }

  add(telemetry: Telemetry): void {
    this.items.push(telemetry);
  }

  peek(n: number): Telemetry[] {
    return this.items.slice(0, n);
  }

  remove(identities: readonly ReadingIdentity[]): void {
    for (const { epoch, seq } of identities) {
      const index = this.items.findIndex((item) => item.seq === seq && item.epoch === epoch);
      if (index >= 0) this.items.splice(index, 1);
    }
  }
}

export class FakeLed implements AlertLed {
  readonly description = 'fake LED';
  readonly states: boolean[] = [];
  closed = false;

  async set(on: boolean): Promise<void> {
    this.states.push(on);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

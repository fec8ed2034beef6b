import type { SensorStatus, Telemetry } from '@fleet/shared';
import type { HealthySensor, StateWriter, TelemetryQueue } from '../../src/device/ports.js';
import type { AlertLed } from '../../src/gpio/types.js';
import type { MessageLink, PublishOptions } from '../../src/mqtt/types.js';
import type { Reading } from '../../src/sensor/types.js';
import type { PersistedState } from '../../src/state/device-state.js';

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
  private commandHandlers: Array<(payload: Buffer) => void> = [];
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

  onCommand(handler: (payload: Buffer) => void): void {
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

  sendCommand(payload: unknown): void {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    for (const handler of this.commandHandlers) handler(Buffer.from(text));
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

/** A sensor that gives `next` (temperature settable), or fails while `failing` is set. */
export class FakeSensor implements HealthySensor {
  temperature = 22;
  healthy = true;
  reads = 0;
  closed = false;
  private listeners = new Set<(status: SensorStatus) => void>();

  async read(): Promise<Reading | null> {
    if (!this.healthy) return null;
    this.reads += 1;
    return { temperature: this.temperature, humidite: 45.5, pression: 1013.2 };
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

export class MemoryOutbox implements TelemetryQueue {
  readonly items: Telemetry[] = [];
  closed = false;

  get size(): number {
    return this.items.length;
  }

  async enqueue(telemetry: Telemetry): Promise<void> {
    this.items.push(telemetry);
  }

  peek(n: number): Telemetry[] {
    return this.items.slice(0, n);
  }

  async remove(seqs: readonly number[]): Promise<number> {
    let removed = 0;
    for (const seq of seqs) {
      const index = this.items.findIndex((item) => item.seq === seq);
      if (index >= 0) {
        this.items.splice(index, 1);
        removed += 1;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The persisted state in memory; `failWrites` makes every write fail, like a full or read-only disk. */
export class MemoryState implements StateWriter {
  writes = 0;
  failWrites = false;

  constructor(public state: PersistedState) {}

  async update(patch: Partial<PersistedState>): Promise<PersistedState> {
    if (this.failWrites) throw new Error('ENOSPC: no space left on device');
    this.writes += 1;
    this.state = { ...this.state, ...patch };
    return this.state;
  }

  async flush(): Promise<void> {}
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

/** Hands out 0, 1, 2, … */
export function counter(start = 0): { next(): Promise<number> } {
  let value = start;
  return { next: async () => value++ };
}

import {
  Backoff,
  brokerLabel,
  type Clock,
  ConnectFailureLog,
  describeConnectFailure,
  type Logger,
  type MqttTransportOptions,
  type OfflineStatus,
  QOS,
  refusedSubscriptions,
  systemClock,
  topics,
} from '@fleet/shared';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { LinkStats, MessageLink, PublishOptions } from './types.js';

export interface DeviceLinkOptions {
  deviceId: string;
  /** Host, port, TLS and login, from mqttTransportOptions(config.mqtt). */
  transport: MqttTransportOptions;
  logger: Logger;
  clock?: Clock;
  /** Ceiling of the first reconnect delay; doubles on each failed attempt up to `maxReconnectMs` (jittered). */
  initialReconnectMs?: number;
  maxReconnectMs?: number;
  /** For the back-off's jitter; Math.random by default. */
  random?: () => number;
  /** How long `stop()` may take before the connection is dropped without a goodbye. */
  stopTimeoutMs?: number;
}

type Pending = { reject: (error: Error) => void };

/**
 * The device's only MQTT connection: persistent session (`clean: false`, client id `edge-<deviceId>`), QoS 1,
 * a retained last will saying the device is offline, the retained online status on every (re)connect, the
 * command subscription, and reconnects with a growing back-off. A broker that is not up yet is waited for.
 */
export class DeviceLink implements MessageLink {
  private client: MqttClient | null = null;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly commandTopic: string;
  private readonly statusTopic: string;
  private onlineStatus: (() => string) | null = null;
  private readonly commandHandlers: Array<(payload: Buffer) => void> = [];
  private readonly connectionHandlers: Array<(connected: boolean) => void> = [];
  private readonly pending = new Set<Pending>();
  private isConnected = false;
  private everConnected = false;
  private readonly failures: ConnectFailureLog;
  /** The error of the attempt under way, reported when its connection closes with the delay that follows. */
  private pendingError: (Error & { code?: string | number }) | null = null;
  private readonly broker: string;
  private stopping = false;
  private counters = { published: 0, reconnects: 0 };

  constructor(private readonly options: DeviceLinkOptions) {
    this.log = options.logger.child({ component: 'mqtt' });
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff({
      initialMs: options.initialReconnectMs ?? 1_000,
      maxMs: options.maxReconnectMs ?? 30_000,
      ...(options.random ? { random: options.random } : {}),
    });
    this.failures = new ConnectFailureLog(this.log);
    const { host, port, protocol } = options.transport;
    this.broker = brokerLabel({ host, port, tls: protocol === 'mqtts' });
    this.commandTopic = topics.commands(options.deviceId);
    this.statusTopic = topics.status(options.deviceId);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get stats(): LinkStats {
    return { connected: this.isConnected, ...this.counters };
  }

  get clientId(): string {
    return `edge-${this.options.deviceId}`;
  }

  setOnlineStatus(provider: () => string): void {
    this.onlineStatus = provider;
  }

  onCommand(handler: (payload: Buffer) => void): void {
    this.commandHandlers.push(handler);
  }

  onConnectionChange(handler: (connected: boolean) => void): void {
    this.connectionHandlers.push(handler);
  }

  /** Starts connecting in the background and returns at once; the link keeps trying until `stop()`. */
  start(): void {
    if (this.client) return;
    const { transport, deviceId } = this.options;
    const will: OfflineStatus = { device_id: deviceId, online: false };
    const clientOptions: IClientOptions = {
      ...transport,
      clientId: this.clientId,
      clean: false,
      protocolVersion: 4,
      keepalive: 30,
      connectTimeout: 10_000,
      // mqtt.js waits options.reconnectPeriod before each new attempt: the link sets it at every close,
      // jittered and growing (this first value only switches reconnecting on).
      reconnectPeriod: this.backoff.initialMs,
      reconnectOnConnackError: true,
      will: { topic: this.statusTopic, payload: Buffer.from(JSON.stringify(will)), qos: QOS, retain: true },
    };
    this.log.info(
      {
        broker: this.broker,
        client_id: this.clientId,
        user: transport.username ?? null,
        tls: transport.protocol === 'mqtts',
      },
      'connecting to the MQTT broker',
    );
    const client = mqtt.connect(clientOptions);
    this.client = client;
    client.on('connect', (connack) => void this.handleConnect(client, connack.sessionPresent));
    client.on('reconnect', () => this.log.debug('reconnecting to the MQTT broker'));
    // Before mqtt.js's own 'close' listener, which arms the next attempt with options.reconnectPeriod.
    client.prependListener('close', () => this.handleClose(client));
    client.on('error', (error) => this.handleError(error));
    client.on('message', (topic, payload) => {
      if (topic !== this.commandTopic) return;
      for (const handler of this.commandHandlers) handler(payload);
    });
  }

  publish(topic: string, payload: string, options: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client || this.stopping) return Promise.reject(new Error('The MQTT link is not running.'));
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = { reject };
      this.pending.add(entry);
      client.publish(topic, payload, { qos: QOS, retain: options.retain ?? false }, (error) => {
        if (!this.pending.delete(entry)) return;
        if (error) {
          reject(error);
          return;
        }
        this.counters.published += 1;
        this.log.debug({ topic, bytes: payload.length, retain: options.retain ?? false }, 'published');
        resolve();
      });
    });
  }

  /**
   * Says goodbye: the offline status (retained), then a clean DISCONNECT. Gives up after `stopTimeoutMs`
   * when the broker does not answer, and drops the connection; publishes still waiting are rejected.
   */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client || this.stopping) return;
    const deadline = Date.now() + (this.options.stopTimeoutMs ?? 3_000);
    if (this.isConnected) {
      const offline: OfflineStatus = {
        device_id: this.options.deviceId,
        online: false,
        timestamp: this.clock.now().toISOString(),
      };
      try {
        await withTimeout(
          this.publish(this.statusTopic, JSON.stringify(offline), { retain: true }),
          deadline - Date.now(),
        );
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, 'the offline status could not be published');
      }
    }
    this.stopping = true;
    const connectedAtStop = client.connected;
    try {
      if (!connectedAtStop) throw new Error('no connection to say goodbye on');
      await withTimeout(client.endAsync(false), Math.max(0, deadline - Date.now()));
    } catch {
      if (connectedAtStop)
        this.log.warn('the broker did not answer the DISCONNECT in time; closing the connection');
      await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    }
    for (const entry of this.pending) entry.reject(new Error('The MQTT link stopped.'));
    this.pending.clear();
    this.setConnected(false);
    this.log.info({ published: this.counters.published }, 'disconnected from the MQTT broker');
  }

  private async handleConnect(client: MqttClient, sessionPresent: boolean): Promise<void> {
    if (this.everConnected) this.counters.reconnects += 1;
    this.everConnected = true;
    this.backoff.connected();
    this.failures.clear();
    this.log.info({ broker: this.broker, session_present: sessionPresent }, 'connected to the MQTT broker');
    try {
      await client.subscribeAsync(this.commandTopic, { qos: QOS });
    } catch (error) {
      if (!refusedSubscriptions(error, [this.commandTopic])) {
        // The connection dropped again before the subscription went out: the next connect redoes it.
        this.log.debug({ err: (error as Error).message }, 'connect steps interrupted');
        return;
      }
      this.logRefusedSubscription();
    }
    if (!client.connected || this.stopping) return;
    // The status goes out first; the listeners (e.g. telemetry) start right behind it, in the same tick,
    // so no change of status can slip between the status sent and the link being seen as up.
    const status = this.onlineStatus
      ? this.publish(this.statusTopic, this.onlineStatus(), { retain: true })
      : Promise.resolve();
    this.setConnected(true);
    await status.catch((error: unknown) => {
      this.log.debug({ err: (error as Error).message }, 'online status not acknowledged');
    });
  }

  private handleClose(client: MqttClient): void {
    const wasConnected = this.isConnected;
    this.setConnected(false);
    if (this.stopping) return;
    const retryMs = this.backoff.afterClose();
    client.options.reconnectPeriod = retryMs;
    const error = this.pendingError;
    this.pendingError = null;
    if (error) {
      const failure = describeConnectFailure(error, this.options.transport, this.clientId);
      this.failures.report(failure, { nextMs: retryMs, maxMs: this.backoff.maxMs }, error);
    } else if (wasConnected) {
      this.log.warn(
        { broker: this.broker, retry_ms: retryMs, max_retry_ms: this.backoff.maxMs },
        'lost the connection to the MQTT broker; reconnecting with back-off',
      );
    }
  }

  /** mqtt.js emits 'error' and then 'close'; the failure is logged at 'close', once the next delay is known. */
  private handleError(error: Error & { code?: string | number }): void {
    this.pendingError = error;
  }

  /** The broker lets this credential connect but not read this device's commands: a wrong user name. */
  private logRefusedSubscription(): void {
    const user = this.options.transport.username;
    this.log.error(
      { topic: this.commandTopic, user: user ?? null },
      `The MQTT broker ${this.broker} refused the subscription to ${this.commandTopic}${user ? ` for user "${user}"` : ''}: on the fleet's broker a device's credential holds only its own topics, so MQTT_USERNAME must be the device id (${this.options.deviceId}). Commands will not arrive, and readings may be dropped by the broker.`,
    );
  }

  private setConnected(connected: boolean): void {
    if (this.isConnected === connected) return;
    this.isConnected = connected;
    for (const handler of this.connectionHandlers) handler(connected);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), Math.max(0, ms));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

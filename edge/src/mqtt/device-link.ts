import {
  type Availability,
  Backoff,
  brokerLabel,
  ConnectFailureLog,
  describeConnectFailure,
  type Logger,
  type MqttTransportOptions,
  QOS,
  refusedSubscriptions,
  type Topics,
} from '@fleet/shared';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { monotonicNowMs } from '../clock/monotonic.js';
import type { DeviceClock } from '../clock/types.js';
import { CommandDispatch } from './command-dispatch.js';
import type { LinkStats, MessageLink, PublishOptions } from './types.js';
import { withTimeout } from './with-timeout.js';

export interface DeviceLinkOptions {
  deviceId: string;
  /** The fleet's topics, under MQTT_TOPIC_ROOT. */
  topics: Topics;
  /** Host, port, TLS and login, from mqttTransportOptions(config.mqtt). */
  transport: MqttTransportOptions;
  logger: Logger;
  /** For the back-off and the stop deadline, which are durations (default: process.hrtime). */
  clock?: Pick<DeviceClock, 'monotonicMs'>;
  /** Ceiling of the first reconnect delay; doubles on each failed attempt up to `maxReconnectMs` (jittered). */
  initialReconnectMs?: number;
  maxReconnectMs?: number;
  /** For the back-off's jitter; Math.random by default. */
  random?: () => number;
  /** How long `stop()` may take before the connection is dropped without a goodbye. */
  stopTimeoutMs?: number;
  /** How long a command's handler may take before the link reads on without acknowledging it (default 20 s). */
  commandTimeoutMs?: number;
}

type Pending = { reject: (error: Error) => void };

/**
 * The device's only MQTT connection: persistent session (`clean: false`, client id `edge-<deviceId>`), QoS 1,
 * reconnects with a growing back-off, and a broker that is not up yet is waited for. Presence is on
 * `{root}/{id}/availability` (retained text): `online` after the retained status on every (re)connect,
 * `offline` on a clean stop and as the last will. The retained status is never replaced by either, so it
 * keeps the device's last known state while it is away. A command is acknowledged to the broker (PUBACK)
 * only once its handler's promise has resolved (see CommandDispatch).
 */
export class DeviceLink implements MessageLink {
  private client: MqttClient | null = null;
  private readonly log: Logger;
  private readonly monotonicMs: () => number;
  private readonly backoff: Backoff;
  private readonly commandTopic: string;
  private readonly statusTopic: string;
  private readonly availabilityTopic: string;
  private readonly commands: CommandDispatch;
  private onlineStatus: (() => string) | null = null;
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
    const clock = options.clock;
    this.monotonicMs = clock ? () => clock.monotonicMs() : monotonicNowMs;
    this.backoff = new Backoff({
      initialMs: options.initialReconnectMs ?? 1_000,
      maxMs: options.maxReconnectMs ?? 30_000,
      now: this.monotonicMs,
      ...(options.random ? { random: options.random } : {}),
    });
    this.failures = new ConnectFailureLog(this.log);
    const { host, port, protocol } = options.transport;
    this.broker = brokerLabel({ host, port, tls: protocol === 'mqtts' });
    this.commandTopic = options.topics.commands(options.deviceId);
    this.statusTopic = options.topics.status(options.deviceId);
    this.availabilityTopic = options.topics.availability(options.deviceId);
    this.commands = new CommandDispatch({
      logger: this.log,
      timeoutMs: options.commandTimeoutMs ?? 20_000,
    });
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

  onCommand(handler: (payload: Buffer) => Promise<unknown>): void {
    this.commands.add(handler);
  }

  onConnectionChange(handler: (connected: boolean) => void): void {
    this.connectionHandlers.push(handler);
  }

  /** Starts connecting in the background and returns at once; the link keeps trying until `stop()`. */
  start(): void {
    if (this.client) return;
    const { transport } = this.options;
    const offline: Availability = 'offline';
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
      will: { topic: this.availabilityTopic, payload: Buffer.from(offline), qos: QOS, retain: true },
    };
    this.log.info(
      {
        broker: this.broker,
        client_id: this.clientId,
        user: transport.username ?? null,
        tls: transport.protocol === 'mqtts',
        topic_root: this.options.topics.root,
      },
      'connecting to the MQTT broker',
    );
    const client = mqtt.connect(clientOptions);
    this.client = client;
    // mqtt.js sends a QoS 1 PUBACK when handleMessage calls back, and reads no further packet meanwhile.
    client.handleMessage = (packet: IPublishPacket, callback) => {
      if (packet.topic !== this.commandTopic) {
        callback();
        return;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      this.commands.dispatch(payload, packet.messageId).then(
        () => callback(),
        (error: Error) => callback(error),
      );
    };
    client.on('connect', (connack) => void this.handleConnect(client, connack.sessionPresent));
    client.on('reconnect', () => this.log.debug('reconnecting to the MQTT broker'));
    // Before mqtt.js's own 'close' listener, which arms the next attempt with options.reconnectPeriod.
    client.prependListener('close', () => this.handleClose(client));
    client.on('error', (error) => this.handleError(error));
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
   * Says goodbye: `offline` on the availability topic (retained), then a clean DISCONNECT. Gives up after
   * `stopTimeoutMs` when the broker does not answer, and drops the connection; publishes still waiting are
   * rejected. The retained status is left as it is: the device's last known state.
   */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client || this.stopping) return;
    const deadline = this.monotonicMs() + (this.options.stopTimeoutMs ?? 3_000);
    const left = () => Math.max(0, deadline - this.monotonicMs());
    if (this.isConnected) {
      const offline: Availability = 'offline';
      try {
        await withTimeout(this.publish(this.availabilityTopic, offline, { retain: true }), left());
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, 'the offline availability could not be published');
      }
    }
    this.stopping = true;
    const connectedAtStop = client.connected;
    try {
      if (!connectedAtStop) throw new Error('no connection to say goodbye on');
      await withTimeout(client.endAsync(false), left());
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
    // No Nagle: an ack and the PUBACK behind it are small writes a few microseconds apart, and Nagle holds
    // the second until the broker's delayed ACK of the first (40 ms on Linux) on every command.
    const socket = client.stream as { setNoDelay?: (noDelay: boolean) => unknown };
    socket.setNoDelay?.(true);
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
    // The status goes out first, then `online`; the listeners (e.g. telemetry) start right behind them, in
    // the same tick, so no change of status can slip between the status sent and the link being seen as up.
    const status = this.onlineStatus
      ? this.publish(this.statusTopic, this.onlineStatus(), { retain: true })
      : Promise.resolve();
    const online: Availability = 'online';
    const availability = this.publish(this.availabilityTopic, online, { retain: true });
    this.setConnected(true);
    const unacknowledged = (what: string) => (error: unknown) => {
      this.log.debug({ err: (error as Error).message }, `online ${what} not acknowledged`);
    };
    await Promise.all([
      status.catch(unacknowledged('status')),
      availability.catch(unacknowledged('availability')),
    ]);
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

import {
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
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { BrokerConnection, BrokerState, MessageHandler, PublishOptions, Route } from './broker-types.js';
import { HeldPubacks, type IncomingPublish } from './held-pubacks.js';
import { dispatchMessage } from './message-dispatch.js';
import { publishAcked } from './publish-acked.js';
import { SubscriptionPlan } from './subscriptions.js';

export type {
  BrokerConnection,
  BrokerState,
  IncomingMessage,
  MessageHandler,
  PublishOptions,
  Route,
} from './broker-types.js';
export { dashboardSubscriptions, topicMatches } from './subscriptions.js';

export interface MqttBrokerOptions {
  /** Host, port, TLS and login, from mqttTransportOptions(config.mqtt). */
  transport: MqttTransportOptions;
  /** Stable, so the broker keeps the session (and queues messages) while the dashboard is down. */
  clientId: string;
  /** The fleet's topics (MQTT_TOPIC_ROOT): what to subscribe to. */
  topics: Topics;
  logger: Logger;
  /** How long a publish may wait for its PUBACK (default 5 s). */
  publishTimeoutMs?: number;
  /** Ceiling of the first reconnect delay, doubled after each failed attempt up to `maxReconnectMs` (1 s, 30 s); jittered. */
  initialReconnectMs?: number;
  maxReconnectMs?: number;
  /** For the back-off's jitter; Math.random by default. */
  random?: () => number;
  /** Messages waiting to be durable (PUBACKs held) at most before reading pauses (default 10 000). */
  maxHeld?: number;
  /** MQTT_SHARE_GROUP: the replicas' shared-subscription group; null (default): plain subscriptions. */
  shareGroup?: string | null;
}

/**
 * The one MQTT connection of the dashboard (mqtt.js v5, MQTT 3.1.1): persistent session (`clean: false`),
 * QoS 1 subscriptions renewed on every connect, and reconnects with a doubling back-off, so a broker that
 * is not up yet is simply waited for. A message's PUBACK goes out once its handlers are done with it
 * (HeldPubacks): the broker keeps what the dashboard has not made durable.
 */
export class MqttBrokerConnection implements BrokerConnection {
  private client: MqttClient | null = null;
  private current: BrokerState = 'idle';
  private readonly handlers = new Set<MessageHandler>();
  /** What is subscribed to on connect, what is unsubscribed, and which route a message goes to. */
  private readonly plan: SubscriptionPlan;
  private readonly pubacks: HeldPubacks;
  private readonly log: Logger;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  /** The error of the attempt under way, reported when its connection closes with the delay that follows. */
  private pendingError: (Error & { code?: string | number }) | null = null;
  private readonly failures: ConnectFailureLog;
  private readonly broker: string;

  constructor(private readonly options: MqttBrokerOptions) {
    this.log = options.logger.child({ component: 'mqtt' });
    this.pubacks = new HeldPubacks(options.maxHeld);
    this.backoff = new Backoff({
      initialMs: options.initialReconnectMs ?? 1000,
      maxMs: options.maxReconnectMs ?? 30_000,
      ...(options.random ? { random: options.random } : {}),
    });
    this.failures = new ConnectFailureLog(this.log);
    const { host, port, protocol } = options.transport;
    this.broker = brokerLabel({ host, port, tls: protocol === 'mqtts' });
    this.plan = new SubscriptionPlan(options.topics, options.shareGroup ?? null);
  }

  get state(): BrokerState {
    return this.current;
  }

  get connected(): boolean {
    return this.current === 'connected';
  }

  /** PUBACKs held for messages not yet durable. */
  get heldAcks(): number {
    return this.pubacks.held;
  }

  onMessage(handler: MessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Adds a route (see Route); returns the function that removes it (its subscriptions stay until the next connect). */
  route(route: Route): () => void {
    const remove = this.plan.add(route);
    const client = this.client;
    if (client && this.connected) void this.subscribe(client, this.plan.filtersOf(route));
    return remove;
  }

  /**
   * Filters this run does not want but an earlier one may have subscribed to (the session is persistent: a
   * subscription outlives the run that made it), such as Home Assistant's once HA_DISCOVERY is turned off;
   * unsubscribed on every connect, so their messages do not reach the ingest as invalid ones.
   */
  retire(filters: readonly string[]): void {
    this.plan.retire(filters);
  }

  start(): void {
    if (this.client) return;
    const { transport, clientId } = this.options;
    const clientOptions: IClientOptions = {
      ...transport,
      protocolVersion: 4,
      clientId,
      clean: false,
      keepalive: 30,
      connectTimeout: 10_000,
      // Reconnects are ours (below), with a growing delay instead of mqtt.js's fixed period.
      reconnectPeriod: 0,
      resubscribe: false,
    };
    this.setState('connecting', {
      client_id: clientId,
      user: transport.username ?? null,
      tls: transport.protocol === 'mqtts',
    });
    const client = mqtt.connect(clientOptions);
    this.client = client;
    client.on('connect', (connack) => void this.handleConnect(client, connack.sessionPresent));
    this.pubacks.install(
      client,
      (packet) => this.dispatch(packet),
      (error, packet) =>
        this.log.error(
          { err: error, topic: packet.topic },
          'A message handler failed; the message is not acknowledged and comes again on the next connection',
        ),
    );
    client.on('error', (error) => this.handleError(error));
    client.on('close', () => this.handleClose(client));
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!client || this.current === 'stopped') return;
    const wasConnected = this.connected;
    this.current = 'stopped';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, {}, () => resolve()), 3000);
      client.end(!wasConnected, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.log.info({ was_connected: wasConnected }, 'MQTT connection stopped');
  }

  publish(topic: string, payload: string, options: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) {
      return Promise.reject(new Error(`Not connected to the MQTT broker (state: ${this.current}).`));
    }
    const timeoutMs = this.options.publishTimeoutMs ?? 5000;
    return publishAcked(client, this.log, topic, payload, { retain: options.retain === true, timeoutMs });
  }

  private async handleConnect(client: MqttClient, sessionPresent: boolean): Promise<void> {
    // No Nagle: a command is one small write, which Nagle would hold behind the broker's delayed ACK of the
    // previous one (about 40 ms on Linux), as it held the edge's acks.
    (client.stream as { setNoDelay?: (noDelay: boolean) => unknown }).setNoDelay?.(true);
    this.backoff.connected();
    this.failures.clear();
    const subscriptions = this.plan.all();
    const retired = this.plan.toUnsubscribe(subscriptions);
    if (sessionPresent && retired.length > 0) {
      try {
        await client.unsubscribeAsync(retired);
      } catch (error) {
        // The connection dropped meanwhile: the next connect tries again.
        this.log.debug({ err: (error as Error).message }, 'Unsubscribe interrupted');
        return;
      }
    }
    if (!(await this.subscribe(client, subscriptions))) return;
    if (client.connected && this.current !== 'stopped') {
      this.setState('connected', { session_present: sessionPresent, subscriptions });
    }
  }

  /** Subscribes; false when the connection dropped meanwhile (the next connect subscribes again). */
  private async subscribe(client: MqttClient, subscriptions: string[]): Promise<boolean> {
    try {
      await client.subscribeAsync(subscriptions, { qos: QOS });
    } catch (error) {
      const refused = refusedSubscriptions(error, subscriptions);
      if (!refused) {
        // The connection dropped before the subscription went through: the next connect does it again.
        this.log.debug({ err: (error as Error).message }, 'Subscription interrupted');
        return false;
      }
      const user = this.options.transport.username;
      this.log.error(
        { refused, user: user ?? null },
        `The MQTT broker ${this.broker} refused the subscriptions ${refused.join(', ')}${user ? ` for user "${user}"` : ''}: on the fleet's broker only the dashboard's own user may read every device; check MQTT_USERNAME (a device's credential holds only its own topics).`,
      );
    }
    return true;
  }

  private handleClose(client: MqttClient): void {
    this.pubacks.connectionClosed();
    if (this.current === 'stopped' || client !== this.client) return;
    if (this.retryTimer) return;
    const delay = this.backoff.afterClose();
    if (this.pendingError) {
      const failure = describeConnectFailure(
        this.pendingError,
        this.options.transport,
        this.options.clientId,
      );
      this.failures.report(failure, { nextMs: delay, maxMs: this.backoff.maxMs }, this.pendingError);
      this.pendingError = null;
    }
    if (this.current === 'connected') this.setState('disconnected', { retry_ms: delay });
    else if (this.current !== 'disconnected') this.current = 'disconnected';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.current === 'stopped') return;
      this.log.debug({ retry_ms: delay }, 'Reconnecting to the MQTT broker');
      client.reconnect();
    }, delay);
  }

  /** mqtt.js emits 'error' and then 'close'; the failure is logged at 'close', once the next delay is known. */
  private handleError(error: Error & { code?: string | number }): void {
    this.pendingError = error;
  }

  private dispatch(packet: IncomingPublish): Promise<void> | undefined {
    const routed = this.plan.routeOf(packet.topic);
    return dispatchMessage(packet, routed ? [routed.handler] : this.handlers, this.log);
  }

  private setState(state: BrokerState, details: Record<string, unknown> = {}): void {
    this.current = state;
    const text = {
      idle: 'MQTT connection idle',
      connecting: 'Connecting to the MQTT broker',
      connected: 'Connected to the MQTT broker',
      disconnected: 'Lost the connection to the MQTT broker; reconnecting with back-off',
      stopped: 'MQTT connection stopped',
    }[state];
    this.log.info({ broker: this.broker, ...details }, text);
  }
}

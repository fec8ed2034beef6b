import { brokerLabel, type Logger, type MqttTransportOptions, type Topics } from '@fleet/shared';
import mqtt, { type MqttClient } from 'mqtt';
import type { IncomingMessage } from './broker-connection.js';

export interface LiveConnectionOptions {
  /** Host, port, TLS and login: the dashboard's own (mqttTransportOptions(config.mqtt)). */
  transport: MqttTransportOptions;
  /** The dashboard's MQTT client id; this connection uses `<it>-live`. */
  clientId: string;
  topics: Topics;
  logger: Logger;
  /** Delay between reconnect attempts (default 2 s). */
  reconnectMs?: number;
}

/**
 * A replica's second MQTT connection (MQTT_SHARE_GROUP), for its live push only: every device's readings at
 * QoS 0 on a clean session, `<client id>-live`, whichever replica stores them. It acknowledges nothing and
 * keeps nothing while away: what it misses is stored all the same (by the shared subscription of one
 * replica's main connection), only not pushed live. A connection of its own because Mosquitto 2.0.11 sends a
 * MQTT 3.1.1 client a single copy of a message that matches two of its subscriptions (allow_duplicate_messages
 * is off by default): a plain `{root}/+/data` beside `$share/<group>/{root}/+/data` on the main connection
 * would take the stored copy's place.
 */
export class LiveConnection {
  private client: MqttClient | null = null;
  private readonly handlers = new Set<(message: IncomingMessage) => void>();
  private readonly log: Logger;
  private connectedOnce = false;

  constructor(private readonly options: LiveConnectionOptions) {
    this.log = options.logger.child({ component: 'mqtt-live' });
  }

  get clientId(): string {
    return `${this.options.clientId}-live`;
  }

  /** Connected and subscribed. */
  get subscribed(): boolean {
    return this.connectedOnce && this.client?.connected === true;
  }

  /** Returns the function that removes the handler. */
  onMessage(handler: (message: IncomingMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  start(): void {
    if (this.client) return;
    const { transport, topics } = this.options;
    const filter = topics.allDevices('data');
    const client = mqtt.connect({
      ...transport,
      protocolVersion: 4,
      clientId: this.clientId,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: this.options.reconnectMs ?? 2000,
    });
    this.client = client;
    const broker = brokerLabel({
      host: transport.host,
      port: transport.port,
      tls: transport.protocol === 'mqtts',
    });
    client.on('connect', () => {
      client.subscribe(filter, { qos: 0 }, (error) => {
        if (error) {
          this.log.error({ err: error, filter }, `The live connection could not subscribe to ${filter}`);
          return;
        }
        this.log.info({ broker, client_id: this.clientId, filter }, 'Live connection subscribed (QoS 0)');
        this.connectedOnce = true;
      });
    });
    client.on('close', () => {
      if (this.connectedOnce && this.client === client) {
        this.log.info({ broker }, 'Live connection lost; reconnecting');
        this.connectedOnce = false;
      }
    });
    client.on('error', (error) => this.log.debug({ err: error.message }, 'Live connection error'));
    client.on('message', (topic, payload, packet) => {
      const message: IncomingMessage = { topic, payload, retain: packet.retain };
      for (const handler of this.handlers) {
        try {
          handler(message);
        } catch (error) {
          this.log.error({ err: error, topic }, 'A live message handler failed');
        }
      }
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync(true);
  }
}

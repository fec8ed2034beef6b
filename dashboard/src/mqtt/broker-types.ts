/** The dashboard's view of its MQTT connection: what the HTTP API, the ingest and the routes use. */

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  /** The broker replayed a stored (retained) message rather than forwarding a new one. */
  retain: boolean;
  /** The broker sends it again (MQTT DUP flag): an earlier delivery was not acknowledged. */
  dup?: boolean;
  /** The packet id of a QoS 1 message on this connection (reused after its PUBACK). */
  messageId?: number;
}

/**
 * Handles one message. A promise holds the message's PUBACK until it resolves (the ingest resolves once the
 * message is committed to the database); returning nothing lets the PUBACK go at once.
 */
export type MessageHandler = (message: IncomingMessage) => Promise<void> | undefined | void;

export type BrokerState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** The dashboard's view of the MQTT broker: what the HTTP API and the ingest need, nothing more. */
export interface BrokerConnection {
  readonly state: BrokerState;
  readonly connected: boolean;
  /** Starts connecting in the background and keeps trying until `stop()`. */
  start(): void;
  stop(): Promise<void>;
  /**
   * QoS 1 (retained when asked); resolves once the broker has acknowledged (PUBACK). Rejects at once when
   * not connected.
   */
  publish(topic: string, payload: string, options?: PublishOptions): Promise<void>;
  /** Returns the function that removes the handler. */
  onMessage(handler: MessageHandler): () => void;
}

export interface PublishOptions {
  /** The broker keeps it for every later subscriber (an empty payload removes what it kept). */
  retain?: boolean;
}

/**
 * A subscription of its own: messages on `filters` go to `handler` only (not to the `onMessage` handlers,
 * the ingest's). Subscribed on every connect, and at once when connected already.
 */
export interface Route {
  filters: readonly string[];
  handler: MessageHandler;
  /**
   * With a share group (MQTT_SHARE_GROUP), subscribed as `$share/<group>/<filter>`, so that each message goes
   * to one replica (Home Assistant's set requests: a set is sent on once); the plain filter an earlier run
   * may have left in the session is unsubscribed.
   */
  shared?: boolean;
}

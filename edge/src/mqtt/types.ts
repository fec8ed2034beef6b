/** What the device logic needs from its MQTT connection; `DeviceLink` is the real one, tests use a fake. */
export interface MessageLink {
  /** True between a CONNACK and the next loss of the connection. */
  readonly connected: boolean;
  /** Starts connecting in the background; returns at once. */
  start(): void;
  /** Publishes `offline` on the availability topic (retained) when it can, then disconnects; bounded in time. */
  stop(): Promise<void>;
  /** Publishes at QoS 1; resolves on PUBACK, rejects if the link is stopped first. */
  publish(topic: string, payload: string, options?: PublishOptions): Promise<void>;
  /**
   * The retained status the link publishes on every (re)connect, before `online` on the availability topic;
   * called at connect time.
   */
  setOnlineStatus(provider: () => string): void;
  /**
   * Raw payloads received on `{root}/{id}/commands`. The broker's PUBACK goes out only once the promise the
   * handler returns has resolved, that is once the command's effect (or its rejection) is on disk; a promise
   * that rejects leaves the command unacknowledged, for the broker to deliver again at the next connection.
   * The handler must not wait for a PUBACK itself (of its ack, say): none is read until it has settled.
   */
  onCommand(handler: (payload: Buffer) => Promise<unknown>): void;
  /** Called with true on every (re)connect, once status and availability are out; false when the link drops. */
  onConnectionChange(handler: (connected: boolean) => void): void;
}

export interface PublishOptions {
  retain?: boolean;
}

export interface LinkStats {
  connected: boolean;
  /** Messages acknowledged by the broker (PUBACK) since start. */
  published: number;
  /** Connections made after the first one. */
  reconnects: number;
}

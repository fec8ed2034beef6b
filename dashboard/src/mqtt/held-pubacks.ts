import type { MqttClient } from 'mqtt';

/** The two mqtt.js 5 internals this relies on (pinned by package-lock.json; see the test "mqtt.js internals"). */
interface ClientInternals {
  handleMessage(packet: IncomingPublish, callback: (error?: Error) => void): void;
  _sendPacket(
    packet: { cmd: string; messageId?: number },
    cb?: (error?: Error) => void,
    ...rest: unknown[]
  ): void;
}

export interface IncomingPublish {
  cmd: 'publish';
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup?: boolean;
  messageId?: number;
}

/**
 * Sends the PUBACK of each incoming QoS 1 message only once `handle` has made the message durable, while
 * mqtt.js goes on reading the next messages, so that the ingest can commit them in groups.
 *
 * mqtt.js (lib/handlers/publish.js) calls `client.handleMessage(packet, cb)` for each QoS 1 PUBLISH, and
 * `cb` sends `{cmd: 'puback', messageId}` through `client._sendPacket(packet, done)`, where `done` lets the
 * next incoming packet be handled (lib/client.js, work/nextTickWork): holding `cb` itself would hold every
 * message behind it, making groups of one. So `cb` is called at once and the PUBACK it sends is held here
 * until the message's promise resolves; `done` is called at once. A connection that closes drops the PUBACKs
 * it held: the broker sends those messages again on the next connection (same session), and the store
 * files a copy it has by its identity once.
 *
 * At most `maxHeld` messages wait: Mosquitto 2.0.11's in-flight window (max_inflight_messages, or an
 * MQTT 5 Receive Maximum) holds while no PUBACK goes, but once PUBACKs flow it sends a queued backlog
 * far past it (dashboard/bench/drain.mjs shows thousands held at once). At the bound, `done` is kept
 * back, so mqtt.js reads no further and TCP pushes back on the broker, until a message is durable.
 */
export class HeldPubacks {
  /** Per message id of the current connection: waiting for its promise, or the held PUBACK to send. */
  private readonly waiting = new Map<number, (() => void) | null>();
  private generation = 0;
  /** mqtt.js's `done` of the message that reached the bound: called once fewer messages wait. */
  private paused: (() => void) | null = null;

  /** `maxHeld`: messages waiting to be durable at most (default 10 000). */
  constructor(private readonly maxHeld = 10_000) {}

  /**
   * Installs the hooks. `handle` returns a promise for a message to be made durable first, or nothing when
   * it is done with it already; `onError` hears about a promise that rejected (its PUBACK is not sent).
   */
  install(
    client: MqttClient,
    handle: (packet: IncomingPublish) => Promise<void> | undefined,
    onError: (error: unknown, packet: IncomingPublish) => void,
  ): void {
    const internals = client as unknown as ClientInternals;
    const send = internals._sendPacket.bind(client);
    internals._sendPacket = (packet, cb, ...rest) => {
      const id = packet.messageId;
      if (packet.cmd !== 'puback' || id === undefined || !this.waiting.has(id)) {
        send(packet, cb, ...rest);
        return;
      }
      this.waiting.set(id, () => send(packet));
      cb?.();
    };
    internals.handleMessage = (packet, callback) => {
      const settled = handle(packet);
      const id = packet.messageId;
      if (settled && packet.qos === 1 && id !== undefined) {
        const generation = this.generation;
        this.waiting.set(id, null);
        settled.then(
          () => {
            if (generation !== this.generation) return;
            const puback = this.waiting.get(id);
            this.waiting.delete(id);
            puback?.();
            this.resumeBelowBound();
          },
          (error: unknown) => onError(error, packet),
        );
        if (this.waiting.size >= this.maxHeld) {
          this.paused = callback;
          return;
        }
      }
      callback();
    };
  }

  /** PUBACKs held now. */
  get held(): number {
    return this.waiting.size;
  }

  /** The connection closed: what it held is dropped (the broker redelivers those messages). */
  connectionClosed(): void {
    this.generation += 1;
    this.waiting.clear();
    this.paused = null;
  }

  private resumeBelowBound(): void {
    if (!this.paused || this.waiting.size >= this.maxHeld) return;
    const resume = this.paused;
    this.paused = null;
    resume();
  }
}

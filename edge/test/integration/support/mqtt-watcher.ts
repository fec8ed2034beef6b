import mqtt, { type MqttClient } from 'mqtt';

export interface SeenMessage {
  topic: string;
  text: string;
  retain: boolean;
  json: unknown;
}

/**
 * A test client that records every message on `devices/#` and waits for the ones a test expects.
 * `clear()` forgets what was seen, so the next wait only matches newer messages.
 */
export class MqttWatcher {
  readonly messages: SeenMessage[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const text = payload.toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      this.messages.push({ topic, text, retain: packet.retain, json });
      for (const wake of this.waiters) wake();
    });
  }

  /**
   * Connects and subscribes at QoS 1. With `clientId` the session is persistent (`clean: false`): messages
   * published while the watcher is cut off (e.g. during a broker restart) reach it when it is back.
   */
  static async connect(url: string, filter = 'devices/#', clientId?: string): Promise<MqttWatcher> {
    const client = await mqtt.connectAsync(url, {
      reconnectPeriod: 200,
      ...(clientId ? { clientId, clean: false } : { clean: true }),
    });
    client.on('error', () => undefined);
    const watcher = new MqttWatcher(client);
    await client.subscribeAsync(filter, { qos: 1 });
    return watcher;
  }

  /** The retained message of `topic`, as a client that subscribes now gets it. */
  static async retained(url: string, topic: string): Promise<SeenMessage> {
    const late = await MqttWatcher.connect(url, topic);
    try {
      return await late.waitFor(topic);
    } finally {
      await late.close();
    }
  }

  on(topic: string): SeenMessage[] {
    return this.messages.filter((message) => message.topic === topic);
  }

  clear(): void {
    this.messages.length = 0;
  }

  /** Resolves with the first recorded message (old or new) on `topic` that satisfies `match`. */
  waitFor(
    topic: string,
    match: (message: SeenMessage) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<SeenMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find((message) => message.topic === topic && match(message));
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = this.on(topic).map((message) => message.text);
        reject(
          new Error(`No matching message on ${topic} within ${timeoutMs} ms; seen: ${seen.join(' | ')}`),
        );
      }, timeoutMs);
      const wake = () => void check();
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== wake);
      };
      this.waiters.push(wake);
      check();
    });
  }

  /** Waits until `count` messages on `topic` satisfy `match`, and gives them in arrival order. */
  async waitForCount(
    topic: string,
    count: number,
    match: (message: SeenMessage) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<SeenMessage[]> {
    const matching = () => this.on(topic).filter(match);
    await this.waitFor(topic, () => matching().length >= count, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message} (wanted ${count}, got ${matching().length})`);
    });
    return matching();
  }

  publish(topic: string, payload: unknown): Promise<unknown> {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return this.client.publishAsync(topic, text, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
